//! The permission matrix: every permission-gated REST route and DDP method in one table.
//!
//! For each case, a normal user who lacks the permission (it is taken away from `user` when
//! `user` holds it by default):
//! 1. is refused with Rocket.Chat's answer for that route;
//! 2. succeeds once `permissions.update` grants the permission to a custom role the user holds
//!    (or to `user`), on a fresh fixture;
//! 3. is refused again at once after the grant is revoked.
//!
//! The whole table runs in one test per store (two server starts). A cluster variant
//! (PostgreSQL and Redis) grants and revokes on node A and watches node B follow within 5 s.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::ddp::Ddp;
use common::redis_server::RedisServer;
use common::*;

/// The normal user every case runs as (password `pass-<USER>`).
const USER: &str = "matrix";

/// How long a node may take to apply a permission edit made on another node.
const CLUSTER_DEADLINE: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// The table

/// What a case needs before each call. Every attempt gets a fresh one, so calls that consume
/// their fixture (deletions, kicks, DMs) always find it intact.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// Nothing beyond a fresh name and a fresh target user.
    Plain,
    /// A public channel made by the admin, with the user (and the target) as members.
    Channel,
    /// A private group made by the admin, with the user (and the target) as members.
    Group,
    /// A public channel made by the admin; the user is not a member.
    ForeignChannel,
    /// A private group made by the admin; the user is not a member.
    ForeignGroup,
    /// Like `Channel`, then archived.
    ArchivedChannel,
    /// A read-only public channel with the user as a member.
    ReadOnlyChannel,
    /// Like `Channel`, with a message of the admin's in it.
    AdminMessage,
}

/// One fixture: a room, a message, a target user and a fresh name, as the setup made them.
#[derive(Default)]
struct Fixture {
    rid: String,
    msg_id: String,
    target_id: String,
    target: String,
    name: String,
}

/// How a case calls the server.
enum Call {
    Get(String, Vec<(&'static str, String)>),
    Post(String, Value),
    Ddp(&'static str, Value),
}

/// What came back.
#[derive(Debug)]
enum Outcome {
    Http(Response),
    Ddp(Result<Value, Value>),
}

/// What a refusal looks like.
#[derive(Clone, Copy, Debug)]
enum Refused {
    /// 403 with Rocket.Chat's `permissionsRequired` text.
    Forbidden,
    /// 403 `{"success":false,"error":"unauthorized"}` (`API.v1.forbidden()` with no message).
    ForbiddenBare,
    /// 400 `"<reason> [<code>]"` with `errorType: <code>`.
    Meteor(&'static str, &'static str),
    /// 400 `{"success":false,"error":<message>}` without `errorType`.
    Plain(&'static str),
    /// A DDP error object with this `error` code and `reason`.
    Ddp(&'static str, &'static str),
    /// `/api/info` without the full version and `info`.
    ShortInfo,
}

/// What success looks like.
#[derive(Clone, Copy, Debug)]
enum Done {
    /// 200 with `success: true`, or a DDP result.
    Ok,
    /// `/api/info` with the full version and `info`.
    FullInfo,
}

/// Who receives the grant.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Grantee {
    /// A custom role (`roles.create`) given to the user with `roles.addUserToRole`.
    CustomRole,
    /// The built-in `user` role.
    UserRole,
}

struct Case {
    name: &'static str,
    permission: &'static str,
    /// Permissions granted to the custom role for the whole case (checks that come first).
    also: &'static [&'static str],
    setup: Setup,
    call: fn(&Fixture) -> Call,
    refused: Refused,
    done: Done,
    grantee: Grantee,
}

fn post(path: &str, body: Value) -> Call {
    Call::Post(path.to_owned(), body)
}

fn get(path: &str, query: &[(&'static str, &str)]) -> Call {
    Call::Get(
        path.to_owned(),
        query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    )
}

const NOT_ALLOWED: Refused = Refused::Meteor("error-not-allowed", "Not allowed");
const ACTION_NOT_ALLOWED: Refused = Refused::Meteor("error-action-not-allowed", "Not allowed");
const EDITING_MESSAGE: Refused =
    Refused::Meteor("error-action-not-allowed", "Message editing not allowed");
const NOT_AUTHORIZED: Refused = Refused::Meteor("error-not-authorized", "Not authorized");
const EDITING_ROOM: Refused =
    Refused::Meteor("error-action-not-allowed", "Editing room is not allowed");
const EDITING_USER: Refused =
    Refused::Meteor("error-action-not-allowed", "Editing user is not allowed");
const DDP_NOT_ALLOWED: Refused = Refused::Ddp("error-not-allowed", "Not allowed");

/// Builds a [`Case`] with the common defaults (custom role, plain success).
macro_rules! case {
    ($name:expr, $perm:expr, $setup:ident, $refused:expr, $call:expr $(, $field:ident = $value:expr)* $(,)?) => {{
        #[allow(unused_mut)]
        let mut case = Case {
            name: $name,
            permission: $perm,
            also: &[],
            setup: Setup::$setup,
            call: $call,
            refused: $refused,
            done: Done::Ok,
            grantee: Grantee::CustomRole,
        };
        $(case.$field = $value;)*
        case
    }};
}

fn cases() -> Vec<Case> {
    vec![
        // Creating rooms.
        case!(
            "channels.create",
            "create-c",
            Plain,
            Refused::ForbiddenBare,
            |f| { post("/api/v1/channels.create", json!({"name": f.name})) },
            grantee = Grantee::UserRole
        ),
        case!("groups.create", "create-p", Plain, NOT_ALLOWED, |f| {
            post("/api/v1/groups.create", json!({"name": f.name}))
        }),
        case!("im.create", "create-d", Plain, NOT_ALLOWED, |f| {
            post("/api/v1/im.create", json!({"username": f.target}))
        }),
        case!(
            "ddp createChannel",
            "create-c",
            Plain,
            DDP_NOT_ALLOWED,
            |f| { Call::Ddp("createChannel", json!([f.name, []])) }
        ),
        case!(
            "ddp createPrivateGroup",
            "create-p",
            Plain,
            DDP_NOT_ALLOWED,
            |f| { Call::Ddp("createPrivateGroup", json!([f.name, []])) },
            grantee = Grantee::UserRole
        ),
        case!(
            "ddp createDirectMessage",
            "create-d",
            Plain,
            DDP_NOT_ALLOWED,
            |f| { Call::Ddp("createDirectMessage", json!([f.target])) }
        ),
        // Deleting and administering rooms.
        case!("channels.delete", "delete-c", Channel, NOT_ALLOWED, |f| {
            post("/api/v1/channels.delete", json!({"roomId": f.rid}))
        }),
        case!("groups.delete", "delete-p", Group, NOT_ALLOWED, |f| {
            post("/api/v1/groups.delete", json!({"roomId": f.rid}))
        }),
        case!(
            "channels.setTopic",
            "edit-room",
            Channel,
            EDITING_ROOM,
            |f| {
                post(
                    "/api/v1/channels.setTopic",
                    json!({"roomId": f.rid, "topic": "new topic"}),
                )
            }
        ),
        case!(
            "groups.setDescription",
            "edit-room",
            Group,
            EDITING_ROOM,
            |f| {
                post(
                    "/api/v1/groups.setDescription",
                    json!({"roomId": f.rid, "description": "d"}),
                )
            }
        ),
        case!(
            "channels.setReadOnly",
            "set-readonly",
            Channel,
            EDITING_ROOM,
            |f| {
                post(
                    "/api/v1/channels.setReadOnly",
                    json!({"roomId": f.rid, "readOnly": true}),
                )
            },
            also = &["edit-room"]
        ),
        case!(
            "channels.setType",
            "create-p",
            Channel,
            Refused::Meteor(
                "error-action-not-allowed",
                "Changing a public channel to a private room is not allowed",
            ),
            |f| {
                post(
                    "/api/v1/channels.setType",
                    json!({"roomId": f.rid, "type": "p"}),
                )
            },
            also = &["edit-room"]
        ),
        case!(
            "channels.archive",
            "archive-room",
            Channel,
            NOT_AUTHORIZED,
            |f| { post("/api/v1/channels.archive", json!({"roomId": f.rid})) }
        ),
        case!(
            "channels.unarchive",
            "unarchive-room",
            ArchivedChannel,
            NOT_AUTHORIZED,
            |f| { post("/api/v1/channels.unarchive", json!({"roomId": f.rid})) }
        ),
        case!(
            "channels.invite (not a member)",
            "add-user-to-any-c-room",
            ForeignChannel,
            NOT_ALLOWED,
            |f| {
                post(
                    "/api/v1/channels.invite",
                    json!({"roomId": f.rid, "userId": f.target_id}),
                )
            }
        ),
        case!(
            "groups.invite (not a member)",
            "add-user-to-any-p-room",
            ForeignGroup,
            Refused::Meteor(
                "error-room-not-found",
                "The required \"roomId\" or \"roomName\" param provided does not match any group",
            ),
            |f| {
                post(
                    "/api/v1/groups.invite",
                    json!({"roomId": f.rid, "userId": f.target_id}),
                )
            }
        ),
        case!("channels.kick", "remove-user", Channel, NOT_ALLOWED, |f| {
            post(
                "/api/v1/channels.kick",
                json!({"roomId": f.rid, "userId": f.target_id}),
            )
        }),
        case!(
            "groups.listAll",
            "view-room-administration",
            Plain,
            Refused::Forbidden,
            |_| { get("/api/v1/groups.listAll", &[]) }
        ),
        case!(
            "im.list.everyone",
            "view-room-administration",
            Plain,
            Refused::Forbidden,
            |_| { get("/api/v1/im.list.everyone", &[]) }
        ),
        // Users.
        case!(
            "users.create",
            "create-user",
            Plain,
            Refused::Meteor("error-action-not-allowed", "Adding user is not allowed",),
            |f| {
                post(
                    "/api/v1/users.create",
                    json!({
                        "email": format!("{}@example.com", f.name),
                        "name": "New",
                        "password": "pass-new-user",
                        "username": f.name,
                    }),
                )
            }
        ),
        case!(
            "users.delete",
            "delete-user",
            Plain,
            Refused::Forbidden,
            |f| { post("/api/v1/users.delete", json!({"userId": f.target_id})) }
        ),
        case!(
            "users.update (other user)",
            "edit-other-user-info",
            Plain,
            EDITING_USER,
            |f| {
                post(
                    "/api/v1/users.update",
                    json!({"userId": f.target_id, "data": {"name": "Renamed"}}),
                )
            }
        ),
        case!(
            "users.setStatus (other user)",
            "edit-other-user-info",
            Plain,
            Refused::ForbiddenBare,
            |f| {
                post(
                    "/api/v1/users.setStatus",
                    json!({"userId": f.target_id, "status": "away", "message": "x"}),
                )
            }
        ),
        case!(
            "users.setActiveStatus",
            "edit-other-user-active-status",
            Plain,
            Refused::Forbidden,
            |f| {
                post(
                    "/api/v1/users.setActiveStatus",
                    json!({"userId": f.target_id, "activeStatus": false}),
                )
            }
        ),
        case!(
            "users.list",
            "view-d-room",
            Plain,
            Refused::Forbidden,
            |_| { get("/api/v1/users.list", &[]) },
            grantee = Grantee::UserRole
        ),
        case!(
            "users.logout (other user)",
            "logout-other-user",
            Plain,
            Refused::ForbiddenBare,
            |f| { post("/api/v1/users.logout", json!({"userId": f.target_id})) }
        ),
        case!(
            "users.getPersonalAccessTokens",
            "create-personal-access-tokens",
            Plain,
            Refused::Forbidden,
            |_| { get("/api/v1/users.getPersonalAccessTokens", &[]) }
        ),
        // Settings, permissions, roles, server info.
        case!(
            "GET settings/:_id",
            "view-privileged-setting",
            Plain,
            Refused::Forbidden,
            |_| { get("/api/v1/settings/Site_Name", &[]) }
        ),
        case!(
            "POST settings/:_id",
            "edit-privileged-setting",
            Plain,
            Refused::Forbidden,
            |f| { post("/api/v1/settings/Site_Name", json!({"value": f.name})) }
        ),
        case!(
            "ddp saveSetting",
            "edit-privileged-setting",
            Plain,
            Refused::Ddp(
                "error-action-not-allowed",
                "Editing settings is not allowed"
            ),
            |f| { Call::Ddp("saveSetting", json!(["Site_Name", f.name])) }
        ),
        case!(
            "POST settings/:_id through change-setting-<id>",
            "change-setting-Site_Name",
            Plain,
            Refused::Forbidden,
            |f| { post("/api/v1/settings/Site_Name", json!({"value": f.name})) },
            also = &["manage-selected-settings"]
        ),
        case!(
            "permissions.update",
            "access-permissions",
            Plain,
            Refused::Forbidden,
            |_| {
                post(
                    "/api/v1/permissions.update",
                    json!({"permissions": [{"_id": "view-logs", "roles": ["admin"]}]}),
                )
            }
        ),
        case!(
            "roles.create",
            "access-permissions",
            Plain,
            Refused::Forbidden,
            |f| { post("/api/v1/roles.create", json!({"name": f.name})) }
        ),
        case!(
            "GET /api/info (full)",
            "view-statistics",
            Plain,
            Refused::ShortInfo,
            |_| { get("/api/info", &[]) },
            done = Done::FullInfo
        ),
        // Messages.
        case!(
            "chat.delete (someone else's)",
            "delete-message",
            AdminMessage,
            ACTION_NOT_ALLOWED,
            |f| {
                post(
                    "/api/v1/chat.delete",
                    json!({"roomId": f.rid, "msgId": f.msg_id}),
                )
            }
        ),
        case!(
            "chat.update (someone else's)",
            "edit-message",
            AdminMessage,
            EDITING_MESSAGE,
            |f| {
                post(
                    "/api/v1/chat.update",
                    json!({"roomId": f.rid, "msgId": f.msg_id, "text": "edited"}),
                )
            }
        ),
        case!(
            "chat.postMessage (read-only room)",
            "post-readonly",
            ReadOnlyChannel,
            Refused::Plain("You can't send messages because the room is readonly.",),
            |f| {
                post(
                    "/api/v1/chat.postMessage",
                    json!({"roomId": f.rid, "text": "hello"}),
                )
            }
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The machinery

/// The actors: the admin who edits permissions and makes fixtures, and the user under test.
struct Env {
    /// Where the admin makes fixtures and edits permissions.
    admin: Client,
    /// The user, over REST and DDP (possibly on another node than `admin`).
    user: Client,
    ddp: Ddp,
    /// The custom role the user holds.
    role_id: String,
    /// Every permission's default roles.
    defaults: HashMap<String, Vec<String>>,
}

impl Env {
    /// Creates the user and the custom role through `admin`; the user logs in on `user_url`.
    async fn new(server: &Server, admin: Client, user_url: &str) -> Env {
        server.create_user(&admin, USER).await;
        let user = Client::login(user_url, USER, &format!("pass-{USER}")).await;
        let role = admin
            .post_ok(
                "/api/v1/roles.create",
                json!({"name": "matrix-role", "scope": "Users"}),
            )
            .await;
        let role_id = role["role"]["_id"].as_str().unwrap().to_owned();
        admin
            .post_ok(
                "/api/v1/roles.addUserToRole",
                json!({"roleId": role_id, "username": USER}),
            )
            .await;
        // Logged in after the role assignment: a DDP session does not see role changes made
        // after its login (see `ddp_session_sees_role_changes_made_after_login`).
        let mut ddp = Ddp::connect(user_url).await;
        ddp.login(USER, &format!("pass-{USER}")).await;
        let all = admin.get_ok("/api/v1/permissions.listAll", &[]).await;
        let defaults = all["update"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let roles = p["roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect();
                (p["_id"].as_str().unwrap().to_owned(), roles)
            })
            .collect();
        Env {
            admin,
            user,
            ddp,
            role_id,
            defaults,
        }
    }

    fn defaults(&self, permission: &str) -> Vec<String> {
        self.defaults
            .get(permission)
            .unwrap_or_else(|| panic!("no permission {permission}"))
            .clone()
    }

    async fn set_roles(&self, permission: &str, roles: &[String]) {
        self.admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": permission, "roles": roles}]}),
            )
            .await;
    }

    /// The default roles without `user` and the custom role: what the user lacks.
    fn revoked(&self, permission: &str) -> Vec<String> {
        let mut roles = self.defaults(permission);
        roles.retain(|r| r != "user" && *r != self.role_id);
        roles
    }

    fn granted(&self, permission: &str, grantee: Grantee) -> Vec<String> {
        let mut roles = self.revoked(permission);
        roles.push(match grantee {
            Grantee::CustomRole => self.role_id.clone(),
            Grantee::UserRole => "user".to_owned(),
        });
        roles
    }

    /// A user nobody else touches, made by the admin (no login).
    async fn new_user(&self) -> (String, String) {
        let username = unique("target");
        let body = self
            .admin
            .post_ok(
                "/api/v1/users.create",
                json!({
                    "email": format!("{username}@example.com"),
                    "name": "Target",
                    "password": format!("pass-{username}"),
                    "username": username,
                    "verified": true,
                }),
            )
            .await;
        (body["user"]["_id"].as_str().unwrap().to_owned(), username)
    }

    async fn fixture(&self, setup: Setup) -> Fixture {
        let (target_id, target) = self.new_user().await;
        let mut f = Fixture {
            target_id,
            target,
            name: unique("mx"),
            ..Fixture::default()
        };
        let room = |path: &str, members: Vec<&str>, extra: Value| {
            let mut body = json!({"name": unique("room"), "members": members});
            if let Value::Object(extra) = extra {
                body.as_object_mut().unwrap().extend(extra);
            }
            let path = path.to_owned();
            async move {
                let reply = self.admin.post_ok(&path, body).await;
                let room = reply.get("channel").or_else(|| reply.get("group")).unwrap();
                room["_id"].as_str().unwrap().to_owned()
            }
        };
        let members = vec![USER, f.target.as_str()];
        let only_target = vec![f.target.as_str()];
        match setup {
            Setup::Plain => {}
            Setup::Channel | Setup::ArchivedChannel | Setup::AdminMessage => {
                f.rid = room("/api/v1/channels.create", members, json!({})).await;
            }
            Setup::Group => f.rid = room("/api/v1/groups.create", members, json!({})).await,
            Setup::ForeignChannel => {
                f.rid = room("/api/v1/channels.create", only_target, json!({})).await;
            }
            Setup::ForeignGroup => {
                f.rid = room("/api/v1/groups.create", only_target, json!({})).await;
            }
            Setup::ReadOnlyChannel => {
                f.rid = room(
                    "/api/v1/channels.create",
                    vec![USER],
                    json!({"readOnly": true}),
                )
                .await;
            }
        }
        match setup {
            Setup::ArchivedChannel => {
                self.admin
                    .post_ok("/api/v1/channels.archive", json!({"roomId": f.rid}))
                    .await;
            }
            Setup::AdminMessage => {
                let sent = self
                    .admin
                    .post_ok(
                        "/api/v1/chat.postMessage",
                        json!({"roomId": f.rid, "text": "the admin's message"}),
                    )
                    .await;
                f.msg_id = sent["message"]["_id"].as_str().unwrap().to_owned();
            }
            _ => {}
        }
        f
    }

    async fn call(&mut self, call: Call) -> Outcome {
        match call {
            Call::Get(path, query) => {
                let query: Vec<(&str, &str)> =
                    query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Outcome::Http(self.user.get_query(&path, &query).await)
            }
            Call::Post(path, body) => Outcome::Http(self.user.post(&path, body).await),
            Call::Ddp(method, params) => Outcome::Ddp(self.ddp.call(method, params).await),
        }
    }

    /// A fresh fixture, then the case's call.
    async fn attempt(&mut self, case: &Case) -> Outcome {
        let fixture = self.fixture(case.setup).await;
        let call = (case.call)(&fixture);
        self.call(call).await
    }
}

/// `Ok` when `outcome` is the refusal `want`; otherwise what differs.
fn check_refused(outcome: &Outcome, want: Refused) -> Result<(), String> {
    let ok = match (want, outcome) {
        (Refused::Forbidden, Outcome::Http((status, body, _))) => {
            *status == 403 && *body == json!({"success": false, "error": FORBIDDEN})
        }
        (Refused::ForbiddenBare, Outcome::Http((status, body, _))) => {
            *status == 403 && *body == json!({"success": false, "error": "unauthorized"})
        }
        (Refused::Meteor(code, reason), Outcome::Http((status, body, _))) => {
            *status == 400
                && body["success"] == false
                && body["error"] == format!("{reason} [{code}]")
                && body["errorType"] == code
        }
        (Refused::Plain(message), Outcome::Http((status, body, _))) => {
            *status == 400
                && body["success"] == false
                && body["error"] == message
                && body.get("errorType").is_none()
        }
        (Refused::ShortInfo, Outcome::Http((status, body, _))) => {
            *status == 200 && body["version"] == "7.4" && body.get("info").is_none()
        }
        (Refused::Ddp(code, reason), Outcome::Ddp(Err(error))) => {
            error["error"] == code
                && error["reason"] == reason
                && error["message"] == format!("{reason} [{code}]")
                && error["errorType"] == "Meteor.Error"
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected refusal {want:?}, got {outcome:?}"))
    }
}

fn check_done(outcome: &Outcome, want: Done) -> Result<(), String> {
    let ok = match (want, outcome) {
        (Done::Ok, Outcome::Http((status, body, _))) => *status == 200 && body["success"] == true,
        (Done::Ok, Outcome::Ddp(result)) => result.is_ok(),
        (Done::FullInfo, Outcome::Http((status, body, _))) => {
            *status == 200 && body["info"]["version"].is_string() && body["version"] != "7.4"
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected success {want:?}, got {outcome:?}"))
    }
}

/// Retries `attempt` until `check` passes or `within` ends (`Duration::ZERO`: once).
async fn settle(
    env: &mut Env,
    case: &Case,
    within: Duration,
    check: impl Fn(&Outcome) -> Result<(), String>,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let outcome = env.attempt(case).await;
        match check(&outcome) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Refused, granted, revoked; `within` is how long the user's node may take to follow.
/// Returns what went wrong, if anything; restores the permissions afterwards.
async fn run_case(env: &mut Env, case: &Case, within: Duration) -> Vec<String> {
    let mut errors = Vec::new();
    for extra in case.also {
        let mut roles = env.defaults(extra);
        roles.push(env.role_id.clone());
        env.set_roles(extra, &roles).await;
    }
    let revoked = env.revoked(case.permission);
    env.set_roles(case.permission, &revoked).await;
    let refused = |o: &Outcome| check_refused(o, case.refused);
    let done = |o: &Outcome| check_done(o, case.done);
    if let Err(e) = settle(env, case, within, refused).await {
        errors.push(format!("before the grant: {e}"));
    }
    let granted = env.granted(case.permission, case.grantee);
    env.set_roles(case.permission, &granted).await;
    if let Err(e) = settle(env, case, within, done).await {
        errors.push(format!("after granting to {:?}: {e}", case.grantee));
    }
    env.set_roles(case.permission, &revoked).await;
    if let Err(e) = settle(env, case, within, refused).await {
        errors.push(format!("after revoking: {e}"));
    }
    let defaults = env.defaults(case.permission);
    env.set_roles(case.permission, &defaults).await;
    for extra in case.also {
        let defaults = env.defaults(extra);
        env.set_roles(extra, &defaults).await;
    }
    errors
        .into_iter()
        .map(|e| format!("{} ({}): {e}", case.name, case.permission))
        .collect()
}

async fn run_table(env: &mut Env, cases: &[Case], within: Duration) {
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(run_case(env, case, within).await);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

both_stores!(permission_matrix, |server| async move {
    let table = cases();
    assert!(table.len() >= 25);
    let admin = server.admin().await;
    let mut env = Env::new(&server, admin, &server.url).await;
    run_table(&mut env, &table, Duration::ZERO).await;
});

/// Two nodes on one PostgreSQL database and one Redis: permissions edited on node A rule the
/// user's calls on node B within [`CLUSTER_DEADLINE`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_edits_reach_the_other_node() {
    if postgres_skipped() {
        eprintln!("FERROCHAT_SKIP_POSTGRES=1: skipping this cluster test (it needs PostgreSQL)");
        return;
    }
    let redis = RedisServer::start().await;
    let url = redis.url();
    let a = Server::start_with(Backend::Postgres, &[("REDIS_URL", url.as_str())]).await;
    let b = Server::start_sharing(&a, &[]).await;
    let admin = a.admin().await;
    let mut env = Env::new(&a, admin, &b.url).await;
    let picked = [
        "channels.create",
        "GET settings/:_id",
        "ddp createPrivateGroup",
    ];
    let table: Vec<Case> = cases()
        .into_iter()
        .filter(|c| picked.contains(&c.name))
        .collect();
    assert_eq!(table.len(), picked.len());
    run_table(&mut env, &table, CLUSTER_DEADLINE).await;
    drop(env);
    drop(b);
    drop(a);
    drop(redis);
}

/// A DDP session follows its user's role changes made after the login, as REST does: a role
/// taken away stops granting on the next call, a role given starts granting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddp_session_sees_role_changes_made_after_login() {
    run_test(Backend::Sqlite, &[], |server| async move {
        let admin = server.admin().await;
        let rest = server.create_user(&admin, "stale").await;
        let role = admin
            .post_ok("/api/v1/roles.create", json!({"name": "late-role"}))
            .await;
        let role_id = role["role"]["_id"].as_str().unwrap().to_owned();
        admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": "create-c", "roles": ["admin", role_id]}]}),
            )
            .await;
        let change = |path: &'static str| {
            let admin = admin.clone();
            let role_id = role_id.clone();
            async move {
                admin
                    .post_ok(path, json!({"roleId": role_id, "username": "stale"}))
                    .await;
            }
        };
        let mut wrong = Vec::new();

        // Held at login, taken away afterwards: REST refuses, so must DDP.
        change("/api/v1/roles.addUserToRole").await;
        let mut early = Ddp::connect(&server.url).await;
        early.login("stale", "pass-stale").await;
        change("/api/v1/roles.removeUserFromRole").await;
        let (status, _, _) = rest
            .post("/api/v1/channels.create", json!({"name": unique("rest")}))
            .await;
        assert_eq!(status, 403);
        let created = early
            .call("createChannel", json!([unique("ddp"), []]))
            .await;
        if created.is_ok() {
            wrong.push(format!("a removed role still grants over DDP: {created:?}"));
        }

        // Given after the login: REST allows, so must DDP.
        let mut late = Ddp::connect(&server.url).await;
        late.login("stale", "pass-stale").await;
        change("/api/v1/roles.addUserToRole").await;
        rest.post_ok("/api/v1/channels.create", json!({"name": unique("rest")}))
            .await;
        let created = late.call("createChannel", json!([unique("ddp"), []])).await;
        if created.is_err() {
            wrong.push(format!("a granted role is ignored over DDP: {created:?}"));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    })
    .await;
}
