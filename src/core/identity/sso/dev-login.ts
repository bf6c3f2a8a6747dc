import type { User, UserService } from '../identity.types.js';

const PAGE = 200;

/**
 * Whom overlay's dev token signs in: the bootstrap `admin` while it is an active administrator, else the first
 * active user holding the admin role; undefined when there is none.
 */
export async function devAdmin(users: UserService): Promise<User | undefined> {
  const isAdmin = (u: User) => u.status === 'active' && u.roles.includes('admin');
  const bootstrap = await users.findRowByUsername('admin');
  if (bootstrap) {
    const user = await users.get(bootstrap.id);
    if (isAdmin(user)) return user;
  }
  for (let offset = 0; ; offset += PAGE) {
    const page = await users.list({ limit: PAGE, offset, status: 'active' });
    const found = page.items.find(isAdmin);
    if (found || offset + PAGE >= page.total) return found;
  }
}
