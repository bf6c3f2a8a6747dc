/** A permission string: resource:action. Wildcards resource:* and * grant every action of a resource, or all. */
export interface PermissionDefinition {
  name: string;
  description: string;
  /**
   * Whose vocabulary it is: 'rampart' for the shared identity permissions (OpenWatch's names), or the module whose
   * spec defines it ('fleet', 'edge', 'egress', 'access', 'overlay'). Built-in roles are defined over these.
   */
  vocabulary: string;
  /** Reads that reveal who can do what (users, settings, backups): left out of the viewer role. */
  sensitive?: boolean;
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  builtin: boolean;
  /** For built-in roles, what the code defines them as (patterns with wildcards kept). */
  permissions: string[];
  created_at: string;
  updated_at: string;
}

export interface RoleInput {
  name: string;
  description?: string | null;
  permissions: string[];
}
