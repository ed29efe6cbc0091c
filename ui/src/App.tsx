/**
 * Routes of the single-page app and the guards in front of them:
 * - while the first admin does not exist every page leads to `/setup`;
 * - signed-out visitors of console pages go to `/login` (and come back after signing in);
 * - admin pages show "not allowed" to other roles (their links are hidden anyway).
 */
import type { ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { AuthProvider, isAdmin, useAuth } from './auth/AuthContext';
import { Alert } from './components/Alert';
import { AuthCard, Layout } from './components/Layout';
import type { ApiClient } from './services/client';
import { api } from './services/client';
import { AccountView } from './views/AccountView';
import { AuditView } from './views/AuditView';
import { HomeView } from './views/HomeView';
import { InviteView } from './views/InviteView';
import { LoginView } from './views/LoginView';
import { NotFoundView } from './views/NotFoundView';
import { ResetView } from './views/ResetView';
import { SensorsView } from './views/SensorsView';
import { SetupView } from './views/SetupView';
import { TopologyView } from './views/topology/TopologyView';
import { UsersView } from './views/UsersView';

/** Waits for the initial auth probe; shows its failure with a retry button. */
function AuthGate({ children }: { children: ReactNode }) {
  const { status, error, reload } = useAuth();
  if (status === 'loading') {
    return (
      <div className="auth-page">
        <p className="muted">Connecting to the console…</p>
      </div>
    );
  }
  if (status === 'error') {
    return (
      <AuthCard title="Console unreachable">
        <Alert kind="error">{error}</Alert>
        <button type="button" className="btn btn-primary btn-block" onClick={reload}>
          Try again
        </button>
      </AuthCard>
    );
  }
  return <>{children}</>;
}

/** Console pages: need a signed-in user (and a finished setup). */
function RequireUser({ children }: { children: ReactNode }) {
  const { user, needsSetup } = useAuth();
  const location = useLocation();
  if (needsSetup) return <Navigate to="/setup" replace />;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/** Admin pages. */
function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (!isAdmin(user)) return <NotFoundView forbidden />;
  return <>{children}</>;
}

/** The route table. */
export function AppRoutes({ client = api }: { client?: ApiClient }) {
  return (
    <AuthGate>
      <Routes>
        <Route path="/setup" element={<SetupView client={client} />} />
        <Route path="/login" element={<LoginView client={client} />} />
        <Route path="/invite/:token" element={<InviteView client={client} />} />
        <Route path="/reset/:token" element={<ResetView client={client} />} />
        <Route
          element={
            <RequireUser>
              <Layout />
            </RequireUser>
          }
        >
          <Route index element={<HomeView client={client} />} />
          <Route path="/account" element={<AccountView client={client} />} />
          <Route path="/topology" element={<TopologyView client={client} />} />
          <Route path="/sensors" element={<SensorsView client={client} />} />
          <Route
            path="/admin/users"
            element={
              <RequireAdmin>
                <UsersView client={client} />
              </RequireAdmin>
            }
          />
          <Route
            path="/admin/audit"
            element={
              <RequireAdmin>
                <AuditView client={client} />
              </RequireAdmin>
            }
          />
          <Route path="*" element={<NotFoundView />} />
        </Route>
      </Routes>
    </AuthGate>
  );
}

/** The whole app, as mounted by `main.tsx`. */
export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AuthProvider>
  );
}
