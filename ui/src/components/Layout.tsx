/**
 * The frame of signed-in pages: a header with role-aware navigation (admin pages are only
 * listed for admins), the signed-in user and the logout button.
 */
import type { ReactNode } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { isAdmin, useAuth } from '../auth/AuthContext';
import { ROLE_LABELS } from '../services/types';
import type { User } from '../services/types';
import { Logo } from './Logo';

/** Links of the main navigation, for a given user. */
export function navLinks(user: User | null): { to: string; label: string }[] {
  const links = [
    { to: '/', label: 'Home' },
    { to: '/topology', label: 'Topology' },
    { to: '/sensors', label: 'Sensors' },
    { to: '/account', label: 'Account' },
  ];
  if (isAdmin(user)) {
    links.push({ to: '/admin/users', label: 'Users' }, { to: '/admin/audit', label: 'Audit log' });
  }
  return links;
}

/** Header + page body. */
export function Layout() {
  const { user, signOut } = useAuth();
  const navigate = useNavigate();

  const logout = async () => {
    await signOut();
    navigate('/login', { replace: true });
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <Logo />
          <span className="brand-name">Vedette</span>
          <span className="brand-sub">Management Console</span>
        </div>
        <nav className="mainnav" aria-label="Main">
          {navLinks(user).map((link) => (
            <NavLink key={link.to} to={link.to} end={link.to === '/'}>
              {link.label}
            </NavLink>
          ))}
        </nav>
        <div className="whoami">
          {user && (
            <>
              <span className="username" data-testid="current-user">
                {user.username}
              </span>
              <span className={`badge badge-role-${user.role}`}>{ROLE_LABELS[user.role]}</span>
            </>
          )}
          <button type="button" className="btn btn-small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

/** The centered card used by setup, login, invite and reset pages. */
export function AuthCard({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo size={36} />
          <div>
            <div className="brand-name">Vedette</div>
            <div className="brand-sub">Management Console</div>
          </div>
        </div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
        {children}
      </div>
    </div>
  );
}
