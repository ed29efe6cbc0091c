/** Renders the whole route table at a path, against a {@link FakeConsole}. */
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { AppRoutes } from '../App';
import { AuthProvider } from '../auth/AuthContext';
import type { FakeConsole } from './fakeConsole';

/** Mounts the app at `path`; returns the testing-library handles. */
export function renderApp(fake: FakeConsole, path: string) {
  const client = fake.client();
  return render(
    <AuthProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes client={client} />
      </MemoryRouter>
    </AuthProvider>,
  );
}
