//! Permission names and the built-in roles that bundle them (API.md, "Auth").

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// A permission a route can require. The wire name is `resource.action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $(#[doc = $doc] $variant,)*
        }

        impl Permission {
            /// Every permission, in a stable order (seeded into the database in this order).
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The wire name, e.g. `files.read`.
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            /// A human description, stored beside the name in the database.
            pub fn description(self) -> &'static str {
                match self { $(Permission::$variant => $doc,)* }
            }

            /// Parses a wire name.
            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

permissions! {
    FilesRead => "files.read", "List and view files.";
    FilesCreate => "files.create", "Upload files.";
    FilesUpdate => "files.update", "Rename, recategorize and reprocess files.";
    FilesDelete => "files.delete", "Delete and restore files.";
    FilesDownload => "files.download", "Download file contents.";
    FilesShare => "files.share", "Create and revoke share links.";
    FilesVersion => "files.version", "Upload and restore file versions.";
    FilesTag => "files.tag", "Tag and untag files.";
    StorageRead => "storage.read", "View storage backends.";
    StorageCreate => "storage.create", "Create storage backends.";
    StorageUpdate => "storage.update", "Edit storage backends.";
    StorageDelete => "storage.delete", "Delete storage backends.";
    StorageTest => "storage.test", "Test storage backends.";
    UsersRead => "users.read", "List the account's users.";
    UsersCreate => "users.create", "Add users to the account.";
    UsersUpdate => "users.update", "Change users' names and roles.";
    UsersDelete => "users.delete", "Deactivate users.";
    WebhooksRead => "webhooks.read", "View webhook endpoints and events.";
    WebhooksManage => "webhooks.manage", "Create and change webhook endpoints.";
    JobsRead => "jobs.read", "View the account's jobs.";
    JobsManage => "jobs.manage", "Retry, discard and enqueue the account's jobs.";
    AiRead => "ai.read", "View AI providers, usage, knowledge bases, agents and runs.";
    AiUse => "ai.use", "Call the LLM proxy, search knowledge and start agent runs.";
    AiManage => "ai.manage", "Manage AI providers, API keys, the budget, knowledge bases and agents.";
    Admin => "admin.*", "Platform administration (every admin.* permission).";
}

impl Permission {
    /// Whether holding `self` satisfies a route that requires `required`.
    /// `admin.*` grants every `admin.` permission; others grant only themselves.
    pub fn grants(self, required: &str) -> bool {
        match self {
            Permission::Admin => required.starts_with("admin."),
            other => other.as_str() == required,
        }
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Permission::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown permission `{name}`")))
    }
}

/// The built-in roles. `PlatformAdmin` is granted only by configuration, never by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every account permission.
    Owner,
    /// All `files.*`.
    Member,
    /// `files.read`, `files.download`.
    Viewer,
    /// `admin.*`, for operators seeded from configuration.
    PlatformAdmin,
}

impl Role {
    /// Every built-in role.
    pub const ALL: &'static [Role] =
        &[Role::Owner, Role::Member, Role::Viewer, Role::PlatformAdmin];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Viewer => "viewer",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Role::ALL.iter().copied().find(|r| r.as_str() == name)
    }

    /// Roles an account user may be given through the users API.
    pub fn assignable(self) -> bool {
        !matches!(self, Role::PlatformAdmin)
    }

    /// A human description, stored beside the name in the database.
    pub fn description(self) -> &'static str {
        match self {
            Role::Owner => "Owns the account: every account permission.",
            Role::Member => "Works with files and uses AI.",
            Role::Viewer => "Reads and downloads files; views AI usage.",
            Role::PlatformAdmin => "Operates the platform.",
        }
    }

    /// The permissions this role bundles.
    pub fn permissions(self) -> Vec<Permission> {
        match self {
            Role::Owner => Permission::ALL
                .iter()
                .copied()
                .filter(|p| *p != Permission::Admin)
                .collect(),
            Role::Member => Permission::ALL
                .iter()
                .copied()
                .filter(|p| {
                    p.as_str().starts_with("files.")
                        || matches!(p, Permission::AiRead | Permission::AiUse)
                })
                .collect(),
            Role::Viewer => vec![
                Permission::FilesRead,
                Permission::FilesDownload,
                Permission::AiRead,
            ],
            Role::PlatformAdmin => vec![Permission::Admin],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bundle_what_api_md_says() {
        let owner = Role::Owner.permissions();
        assert!(owner.contains(&Permission::UsersCreate));
        assert!(owner.contains(&Permission::JobsManage));
        assert!(!owner.contains(&Permission::Admin));
        let member = Role::Member.permissions();
        assert_eq!(member.len(), 10, "all eight files.*, ai.read and ai.use");
        assert!(member.contains(&Permission::AiUse));
        assert!(!member.contains(&Permission::AiManage));
        assert!(!member.contains(&Permission::UsersRead));
        assert_eq!(
            Role::Viewer.permissions(),
            vec![
                Permission::FilesRead,
                Permission::FilesDownload,
                Permission::AiRead
            ]
        );
        assert!(owner.contains(&Permission::AiManage));
    }

    #[test]
    fn admin_wildcard_grants_only_admin_permissions() {
        assert!(Permission::Admin.grants("admin.jobs.read"));
        assert!(!Permission::Admin.grants("files.read"));
        assert!(Permission::FilesRead.grants("files.read"));
        assert!(!Permission::FilesRead.grants("files.readx"));
    }

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert!(!Role::PlatformAdmin.assignable());
    }
}
