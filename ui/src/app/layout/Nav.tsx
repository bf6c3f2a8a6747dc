import { NavLink as MantineNavLink, Stack, Text } from '@mantine/core';
import { NavLink as RouterLink, useLocation } from 'react-router';
import { useCan } from '../auth/session';
import { modules } from '../modules';

/** The modules' links, grouped by module; links the caller has no permission for are not shown. */
export function Nav({ onNavigate }: { onNavigate: () => void }) {
  const can = useCan();
  const { pathname } = useLocation();
  return (
    <Stack gap="md" component="nav" aria-label="Modules">
      {modules.map((m) => {
        const links = m.nav.filter((l) => can(l.permission));
        if (links.length === 0) return null;
        return (
          <div key={m.name}>
            {m.nav.length > 1 && (
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mb={4}>
                {m.label}
              </Text>
            )}
            {links.map((l) => (
              <MantineNavLink
                key={l.path}
                component={RouterLink}
                to={l.path}
                label={l.label}
                leftSection={<l.icon size={18} aria-hidden />}
                active={l.path === '/' ? pathname === '/' : pathname === l.path || pathname.startsWith(`${l.path}/`)}
                onClick={onNavigate}
              />
            ))}
          </div>
        );
      })}
    </Stack>
  );
}
