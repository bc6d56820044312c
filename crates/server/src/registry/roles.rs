//! Rocket.Chat's built-in (protected) roles.
//!
//! The core list is `defaultRoles` in `apps/meteor/app/authorization/server/functions/
//! upsertPermissions.ts`; roles created there without a description get `''`. Three more roles are
//! needed because the default permission table names them:
//! * `federated-external`: in the core list of newer releases (`Users`, no description).
//! * `livechat-monitor`: created by the enterprise omnichannel code with only a name, so it gets
//!   the `createOrUpdateProtectedRole` defaults (`Users`, no description).
//! * `important-message-marker`: created at startup by the code behind the
//!   `mark-message-as-important` permission (`Subscriptions`).

/// Where a role is held: on the user document or on a room subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleScope {
    Users,
    Subscriptions,
}

impl RoleScope {
    pub const fn as_str(self) -> &'static str {
        match self {
            RoleScope::Users => "Users",
            RoleScope::Subscriptions => "Subscriptions",
        }
    }
}

/// One built-in role. Rocket.Chat uses the name as `_id` and sets `protected: true`,
/// `mandatory2fa: false`.
#[derive(Debug, Clone, Copy)]
pub struct RoleDef {
    pub id: &'static str,
    pub scope: RoleScope,
    pub description: &'static str,
}

pub static ROLES: &[RoleDef] = &[
    RoleDef {
        id: "admin",
        scope: RoleScope::Users,
        description: "Admin",
    },
    RoleDef {
        id: "moderator",
        scope: RoleScope::Subscriptions,
        description: "Moderator",
    },
    RoleDef {
        id: "leader",
        scope: RoleScope::Subscriptions,
        description: "Leader",
    },
    RoleDef {
        id: "owner",
        scope: RoleScope::Subscriptions,
        description: "Owner",
    },
    RoleDef {
        id: "user",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "federated-external",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "bot",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "app",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "guest",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "anonymous",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "livechat-agent",
        scope: RoleScope::Users,
        description: "Livechat Agent",
    },
    RoleDef {
        id: "livechat-manager",
        scope: RoleScope::Users,
        description: "Livechat Manager",
    },
    RoleDef {
        id: "livechat-monitor",
        scope: RoleScope::Users,
        description: "",
    },
    RoleDef {
        id: "important-message-marker",
        scope: RoleScope::Subscriptions,
        description: "Role to allow marking messages as important in rooms",
    },
];

/// Look a role up by id (its name).
pub fn find(id: &str) -> Option<&'static RoleDef> {
    ROLES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique() {
        let mut seen = HashSet::new();
        for r in ROLES {
            assert!(seen.insert(r.id), "duplicate role {}", r.id);
        }
    }

    #[test]
    fn scopes() {
        for id in ["owner", "moderator", "leader", "important-message-marker"] {
            assert_eq!(find(id).unwrap().scope, RoleScope::Subscriptions, "{id}");
        }
        for id in [
            "admin",
            "user",
            "bot",
            "app",
            "guest",
            "anonymous",
            "livechat-agent",
        ] {
            assert_eq!(find(id).unwrap().scope, RoleScope::Users, "{id}");
        }
        assert_eq!(RoleScope::Users.as_str(), "Users");
        assert_eq!(RoleScope::Subscriptions.as_str(), "Subscriptions");
        assert_eq!(find("admin").unwrap().description, "Admin");
        assert!(find("livechat-guest").is_none());
    }
}
