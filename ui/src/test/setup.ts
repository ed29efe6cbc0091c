/** Vitest setup: unmount rendered trees after each test. */
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());
