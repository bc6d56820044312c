//! Rocket.Chat's default permission table.
//!
//! Copied from `apps/meteor/app/authorization/server/constant/permissions.ts` (stored version,
//! commit `014c0860`), in source order. That file lists `remove-livechat-department` twice; the
//! second copy is dropped here. Permissions that only the enterprise edition registers, and the
//! per-setting `change-setting-<id>` permissions (level `settings`, roles `[]` unless an admin
//! grants them), are not in this table.

/// One permission and the roles that hold it by default.
#[derive(Debug, Clone, Copy)]
pub struct PermissionDef {
    pub id: &'static str,
    pub roles: &'static [&'static str],
}

/// Look a permission up by id.
pub fn find(id: &str) -> Option<&'static PermissionDef> {
    PERMISSIONS.iter().find(|p| p.id == id)
}

pub static PERMISSIONS: &[PermissionDef] = &[
    PermissionDef {
        id: "access-permissions",
        roles: &["admin"],
    },
    PermissionDef {
        id: "access-marketplace",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "access-setting-permissions",
        roles: &["admin"],
    },
    PermissionDef {
        id: "add-oauth-service",
        roles: &["admin"],
    },
    PermissionDef {
        id: "add-user-to-joined-room",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "add-user-to-any-c-room",
        roles: &["admin"],
    },
    PermissionDef {
        id: "add-user-to-any-p-room",
        roles: &[],
    },
    PermissionDef {
        id: "kick-user-from-any-c-room",
        roles: &["admin"],
    },
    PermissionDef {
        id: "kick-user-from-any-p-room",
        roles: &[],
    },
    PermissionDef {
        id: "api-bypass-rate-limit",
        roles: &["admin", "bot", "app"],
    },
    PermissionDef {
        id: "archive-room",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "assign-admin-role",
        roles: &["admin"],
    },
    PermissionDef {
        id: "assign-roles",
        roles: &["admin"],
    },
    PermissionDef {
        id: "ban-user",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "bulk-register-user",
        roles: &["admin"],
    },
    PermissionDef {
        id: "change-livechat-room-visitor",
        roles: &["admin", "livechat-manager", "livechat-agent"],
    },
    PermissionDef {
        id: "create-c",
        roles: &["admin", "user", "federated-external", "bot", "app"],
    },
    PermissionDef {
        id: "create-d",
        roles: &["admin", "user", "federated-external", "bot", "app"],
    },
    PermissionDef {
        id: "create-p",
        roles: &["admin", "user", "federated-external", "bot", "app"],
    },
    PermissionDef {
        id: "create-personal-access-tokens",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "create-user",
        roles: &["admin"],
    },
    PermissionDef {
        id: "clean-channel-history",
        roles: &["admin"],
    },
    PermissionDef {
        id: "delete-c",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "delete-d",
        roles: &["admin"],
    },
    PermissionDef {
        id: "delete-message",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "delete-own-message",
        roles: &["admin", "user", "federated-external"],
    },
    PermissionDef {
        id: "delete-p",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "delete-user",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-message",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "edit-other-user-active-status",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-other-user-info",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-other-user-password",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-other-user-avatar",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-other-user-e2ee",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-other-user-totp",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-privileged-setting",
        roles: &["admin"],
    },
    PermissionDef {
        id: "edit-room",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "edit-room-avatar",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "edit-room-retention-policy",
        roles: &["admin"],
    },
    PermissionDef {
        id: "force-delete-message",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "join-without-join-code",
        roles: &["admin", "bot", "app"],
    },
    PermissionDef {
        id: "leave-c",
        roles: &[
            "admin",
            "user",
            "federated-external",
            "bot",
            "anonymous",
            "app",
        ],
    },
    PermissionDef {
        id: "leave-p",
        roles: &[
            "admin",
            "user",
            "federated-external",
            "bot",
            "anonymous",
            "app",
        ],
    },
    PermissionDef {
        id: "logout-other-user",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-assets",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-email-inbox",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-emoji",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-user-status",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-outgoing-integrations",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-incoming-integrations",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-own-outgoing-integrations",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-own-incoming-integrations",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-oauth-apps",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-selected-settings",
        roles: &["admin"],
    },
    PermissionDef {
        id: "mention-all",
        roles: &["admin", "owner", "moderator", "user", "federated-external"],
    },
    PermissionDef {
        id: "mention-here",
        roles: &["admin", "owner", "moderator", "user", "federated-external"],
    },
    PermissionDef {
        id: "mute-user",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "remove-user",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "run-import",
        roles: &["admin"],
    },
    PermissionDef {
        id: "run-migration",
        roles: &["admin"],
    },
    PermissionDef {
        id: "set-moderator",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "set-owner",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "send-many-messages",
        roles: &["admin", "bot", "app"],
    },
    PermissionDef {
        id: "set-leader",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "set-important-message-marker",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "start-discussion",
        roles: &["admin", "user", "federated-external", "guest", "app"],
    },
    PermissionDef {
        id: "start-discussion-other-user",
        roles: &["admin", "user", "federated-external", "owner", "app"],
    },
    PermissionDef {
        id: "unarchive-room",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-c-room",
        roles: &[
            "admin",
            "user",
            "federated-external",
            "bot",
            "app",
            "anonymous",
        ],
    },
    PermissionDef {
        id: "user-generate-access-token",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-d-room",
        roles: &["admin", "user", "federated-external", "bot", "app", "guest"],
    },
    PermissionDef {
        id: "view-device-management",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-engagement-dashboard",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-full-other-user-info",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-joined-room",
        roles: &["guest", "bot", "app", "anonymous"],
    },
    PermissionDef {
        id: "view-join-code",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-logs",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-other-user-channels",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-p-room",
        roles: &["admin", "user", "federated-external", "anonymous", "guest"],
    },
    PermissionDef {
        id: "view-privileged-setting",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-room-administration",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-statistics",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-user-administration",
        roles: &["admin"],
    },
    PermissionDef {
        id: "preview-c-room",
        roles: &["admin", "user", "federated-external", "anonymous"],
    },
    PermissionDef {
        id: "view-outside-room",
        roles: &["admin", "owner", "moderator", "user", "federated-external"],
    },
    PermissionDef {
        id: "view-broadcast-member-list",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "call-management",
        roles: &["admin", "owner", "moderator", "user"],
    },
    PermissionDef {
        id: "create-invite-links",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "view-l-room",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "create-livechat-contact",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "update-livechat-contact",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "view-livechat-contact",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "delete-livechat-contact",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-contact-history",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "view-livechat-manager",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-omnichannel-contact-center",
        roles: &[
            "livechat-manager",
            "livechat-agent",
            "livechat-monitor",
            "admin",
        ],
    },
    PermissionDef {
        id: "edit-omnichannel-contact",
        roles: &["livechat-manager", "livechat-agent", "admin"],
    },
    PermissionDef {
        id: "view-livechat-rooms",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "close-livechat-room",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "close-others-livechat-room",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "on-hold-livechat-room",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "on-hold-others-livechat-room",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "save-others-livechat-room-info",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "remove-closed-livechat-rooms",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-analytics",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-queue",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "transfer-livechat-guest",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "manage-livechat-managers",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "manage-livechat-agents",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "manage-livechat-departments",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-departments",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "add-livechat-department-agents",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-real-time-monitoring",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-triggers",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-customfields",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-installation",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-appearance",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-webhooks",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "view-livechat-business-hours",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-room-closed-same-department",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-room-closed-by-another-agent",
        roles: &["livechat-manager", "livechat-monitor", "admin"],
    },
    PermissionDef {
        id: "view-livechat-room-customfields",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "edit-livechat-room-customfields",
        roles: &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    },
    PermissionDef {
        id: "send-omnichannel-chat-transcript",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "mail-messages",
        roles: &["admin"],
    },
    PermissionDef {
        id: "toggle-room-e2e-encryption",
        roles: &["owner", "admin"],
    },
    PermissionDef {
        id: "message-impersonate",
        roles: &["bot", "app"],
    },
    PermissionDef {
        id: "create-team",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "delete-team",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "convert-team",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "edit-team",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "add-team-member",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "edit-team-member",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "move-room-to-team",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "create-team-channel",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "create-team-group",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "delete-team-channel",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "delete-team-group",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "edit-team-channel",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "remove-team-channel",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "view-all-team-channels",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "view-all-teams",
        roles: &["admin"],
    },
    PermissionDef {
        id: "remove-closed-livechat-room",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "remove-livechat-department",
        roles: &["livechat-manager", "admin"],
    },
    PermissionDef {
        id: "allow-internal-voice-calls",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "allow-external-voice-calls",
        roles: &["admin", "user"],
    },
    // (second `remove-livechat-department` entry of permissions.ts dropped)
    PermissionDef {
        id: "manage-apps",
        roles: &["admin"],
    },
    PermissionDef {
        id: "post-readonly",
        roles: &["admin", "owner", "moderator"],
    },
    PermissionDef {
        id: "set-readonly",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "set-react-when-readonly",
        roles: &["admin", "owner"],
    },
    PermissionDef {
        id: "manage-cloud",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-sounds",
        roles: &["admin"],
    },
    PermissionDef {
        id: "access-mailer",
        roles: &["admin"],
    },
    PermissionDef {
        id: "pin-message",
        roles: &["owner", "moderator", "admin"],
    },
    PermissionDef {
        id: "mobile-upload-file",
        roles: &["user", "federated-external", "admin"],
    },
    PermissionDef {
        id: "send-mail",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-federation-data",
        roles: &["admin"],
    },
    PermissionDef {
        id: "access-federation",
        roles: &["admin", "user", "federated-external"],
    },
    PermissionDef {
        id: "add-all-to-room",
        roles: &["admin"],
    },
    PermissionDef {
        id: "get-server-info",
        roles: &["admin"],
    },
    PermissionDef {
        id: "register-on-cloud",
        roles: &["admin"],
    },
    PermissionDef {
        id: "test-admin-options",
        roles: &["admin"],
    },
    PermissionDef {
        id: "test-push-notifications",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "sync-auth-services-users",
        roles: &["admin"],
    },
    PermissionDef {
        id: "restart-server",
        roles: &["admin"],
    },
    PermissionDef {
        id: "remove-slackbridge-links",
        roles: &["admin"],
    },
    PermissionDef {
        id: "view-import-operations",
        roles: &["admin"],
    },
    PermissionDef {
        id: "clear-oembed-cache",
        roles: &["admin"],
    },
    PermissionDef {
        id: "videoconf-ring-users",
        roles: &["admin", "owner", "moderator", "user"],
    },
    PermissionDef {
        id: "view-moderation-console",
        roles: &["admin"],
    },
    PermissionDef {
        id: "manage-moderation-actions",
        roles: &["admin"],
    },
    PermissionDef {
        id: "bypass-time-limit-edit-and-delete",
        roles: &["bot", "app"],
    },
    PermissionDef {
        id: "export-messages-as-pdf",
        roles: &["admin", "user"],
    },
    PermissionDef {
        id: "mark-message-as-important",
        roles: &["admin", "owner", "important-message-marker"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique() {
        let mut seen = HashSet::new();
        for p in PERMISSIONS {
            assert!(seen.insert(p.id), "duplicate permission {}", p.id);
            let roles: HashSet<_> = p.roles.iter().collect();
            assert_eq!(roles.len(), p.roles.len(), "{}: repeated role", p.id);
        }
        assert_eq!(PERMISSIONS.len(), 174);
    }

    #[test]
    fn every_role_exists() {
        for p in PERMISSIONS {
            for r in p.roles {
                assert!(
                    super::super::roles::find(r).is_some(),
                    "{}: unknown role {r}",
                    p.id
                );
            }
        }
    }

    #[test]
    fn spot_checks() {
        assert_eq!(
            find("create-c").unwrap().roles,
            ["admin", "user", "federated-external", "bot", "app"]
        );
        assert_eq!(
            find("create-p").unwrap().roles,
            find("create-c").unwrap().roles
        );
        assert_eq!(
            find("edit-message").unwrap().roles,
            ["admin", "owner", "moderator"]
        );
        assert_eq!(
            find("api-bypass-rate-limit").unwrap().roles,
            ["admin", "bot", "app"]
        );
        assert_eq!(
            find("view-joined-room").unwrap().roles,
            ["guest", "bot", "app", "anonymous"]
        );
        assert_eq!(
            find("pin-message").unwrap().roles,
            ["owner", "moderator", "admin"]
        );
        assert!(find("add-user-to-any-p-room").unwrap().roles.is_empty());
        assert_eq!(find("view-privileged-setting").unwrap().roles, ["admin"]);
        assert!(find("remove-livechat-department").is_some());
        assert!(find("no-such-permission").is_none());
    }
}
