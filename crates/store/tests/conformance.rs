//! The same repository tests against both drivers: a fresh SQLite file and a fresh
//! PostgreSQL database (`FERROCHAT_TEST_PG`, default the local server). Set
//! `FERROCHAT_SKIP_POSTGRES=1` to run SQLite only.

use ferrochat_model::{Message, Room, RoomType, Subscription, User, UserRef};
use ferrochat_store::messages::{Delivery, HistoryQuery};
use ferrochat_store::rooms::RoomPatch;
use ferrochat_store::subscriptions::SubscriptionPatch;
use ferrochat_store::{Filter, Page, Sort, Store, StoreError, StoreOptions};
use rand::Rng;
use serde_json::{Map, json};
use sqlx::Connection;

struct Db {
    store: Store,
    cleanup: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

fn suffix() -> String {
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| (b'a' + rng.gen_range(0..26)) as char)
        .collect()
}

async fn sqlite() -> Db {
    let dir = std::env::temp_dir().join(format!("ferrochat-store-{}", suffix()));
    let url = format!("sqlite://{}/test.db", dir.display());
    let store = Store::connect(&StoreOptions {
        url,
        max_connections: 4,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    Db {
        store,
        cleanup: None,
        dir: Some(dir),
    }
}

async fn postgres() -> Option<Db> {
    if matches!(
        std::env::var("FERROCHAT_SKIP_POSTGRES").as_deref(),
        Ok("1") | Ok("true")
    ) {
        return None;
    }
    sqlx::any::install_default_drivers();
    let admin = std::env::var("FERROCHAT_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("ferrochat_store_{}", suffix());
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is not reachable ({e}); run scripts/test or set FERROCHAT_SKIP_POSTGRES=1"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => unreachable!(),
    };
    let store = Store::connect(&StoreOptions {
        url,
        max_connections: 4,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    Some(Db {
        store,
        cleanup: Some((admin, name)),
        dir: None,
    })
}

impl Db {
    async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.cleanup {
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = super::sqlite().await;
                super::$body(&db.store).await;
                db.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = super::postgres().await {
                    super::$body(&db.store).await;
                    db.finish().await;
                }
            }
        }
    };
}

fn user(id: &str, username: &str) -> User {
    User {
        id: id.into(),
        username: username.into(),
        name: format!("{username} name"),
        email: Some(format!("{username}@example.com")),
        email_verified: false,
        user_type: "user".into(),
        active: true,
        roles: vec!["user".into()],
        status: "offline".into(),
        status_default: "online".into(),
        status_connection: "offline".into(),
        status_text: String::new(),
        utc_offset: 1.5,
        created_at: 1000,
        updated_at: 1000,
        last_login: None,
        password_hash: None,
        require_password_change: false,
        avatar_etag: None,
        bio: None,
        nickname: None,
        language: None,
        preferences: Map::new(),
        custom_fields: Some(json!({"team": "core"})),
    }
}

fn room(id: &str, name: &str) -> Room {
    Room {
        name: Some(name.into()),
        fname: Some(name.into()),
        creator: Some(UserRef {
            id: "u1".into(),
            username: "alice".into(),
            name: None,
        }),
        ..Room::new(id.into(), RoomType::Channel, 1000)
    }
}

fn sub(id: &str, rid: &str, user: &User) -> Subscription {
    Subscription {
        id: id.into(),
        rid: rid.into(),
        user: UserRef {
            id: user.id.clone(),
            username: user.username.clone(),
            name: Some(user.name.clone()),
        },
        t: RoomType::Channel,
        name: "dev".into(),
        fname: Some("dev".into()),
        ts: 1000,
        ls: Some(1000),
        lr: None,
        updated_at: 1000,
        open: true,
        alert: false,
        unread: 0,
        user_mentions: 0,
        group_mentions: 0,
        roles: vec![],
        favorite: false,
        archived: false,
        extra: Map::new(),
    }
}

fn message(id: &str, rid: &str, from: &User, ts: i64, text: &str) -> Message {
    Message {
        id: id.into(),
        rid: rid.into(),
        msg: text.into(),
        ts,
        user: UserRef {
            id: from.id.clone(),
            username: from.username.clone(),
            name: Some(from.name.clone()),
        },
        updated_at: ts,
        t: None,
        tmid: None,
        edited_at: None,
        edited_by: None,
        extra: Map::new(),
    }
}

async fn users_round_trip(store: &Store) {
    let alice = user("u1", "alice");
    store.insert_user(&alice).await.unwrap();
    assert_eq!(store.user_by_id("u1").await.unwrap().unwrap(), alice);
    assert_eq!(
        store.user_by_username("ALICE").await.unwrap().unwrap().id,
        "u1"
    );
    assert_eq!(
        store
            .user_by_email("Alice@Example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "u1"
    );
    // Usernames and emails are unique regardless of case.
    let mut twin = user("u2", "Alice");
    twin.email = Some("other@example.com".into());
    assert!(matches!(
        store.insert_user(&twin).await,
        Err(StoreError::Duplicate(_))
    ));

    let mut bob = user("u2", "bob");
    bob.roles = vec!["user".into(), "admin".into()];
    bob.active = false;
    store.insert_user(&bob).await.unwrap();

    let fields: ferrochat_store::filter::FieldMap = ferrochat_store::users::FIELDS;
    let filter = Filter::from_mongo(&json!({"roles": "admin"}), fields).unwrap();
    let (found, total) = store
        .list_users(
            &filter,
            &Sort::default(),
            Page {
                offset: 0,
                count: Some(10),
            },
        )
        .await
        .unwrap();
    assert_eq!((found.len(), total), (1, 1));
    assert_eq!(found[0].username, "bob");

    let filter = Filter::from_mongo(
        &json!({"$or": [{"username": {"$regex": "^AL", "$options": "i"}}, {"active": false}]}),
        fields,
    )
    .unwrap();
    let sort = Sort::from_mongo(&json!({"username": -1}), fields).unwrap();
    let (found, total) = store
        .list_users(
            &filter,
            &sort,
            Page {
                offset: 0,
                count: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        found
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        vec!["bob", "alice"]
    );

    let filter = Filter::from_mongo(
        &json!({"username": {"$in": ["bob", "carol"]}, "name": {"$regex": "name$"}}),
        fields,
    )
    .unwrap();
    assert_eq!(
        store
            .list_users(&filter, &Sort::default(), Page::default())
            .await
            .unwrap()
            .1,
        1
    );
    let filter = Filter::from_mongo(
        &json!({"nickname": {"$exists": false}, "createdAt": {"$gte": {"$date": 1000}}}),
        fields,
    )
    .unwrap();
    assert_eq!(
        store
            .list_users(
                &filter,
                &Sort::default(),
                Page {
                    offset: 1,
                    count: None
                }
            )
            .await
            .unwrap()
            .0
            .len(),
        1
    );

    let hits = store.autocomplete_users("ali", &[], 10).await.unwrap();
    assert_eq!(hits.len(), 1);

    let (admins, _) = store
        .users_in_role(
            "admin",
            Page {
                offset: 0,
                count: Some(5),
            },
        )
        .await
        .unwrap();
    assert_eq!(admins.len(), 1);
    assert!(store.delete_user("u2", 2000).await.unwrap());
    assert!(store.user_by_id("u2").await.unwrap().is_none());
}

async fn messages_move_counters(store: &Store) {
    let alice = user("u1", "alice");
    let bob = user("u2", "bob");
    store.insert_user(&alice).await.unwrap();
    store.insert_user(&bob).await.unwrap();
    store
        .create_room(
            &room("r1", "dev"),
            &[sub("s1", "r1", &alice), sub("s2", "r1", &bob)],
        )
        .await
        .unwrap();
    assert_eq!(
        store.room_by_id("r1").await.unwrap().unwrap().users_count,
        2
    );
    assert_eq!(store.room_by_name("DEV").await.unwrap().unwrap().id, "r1");

    let first = message("m1", "r1", &alice, 2000, "hello @bob");
    store
        .insert_message(
            &first,
            &Delivery {
                mentioned_user_ids: vec!["u2".into()],
                ..Delivery::default()
            },
        )
        .await
        .unwrap();
    store
        .insert_message(
            &message("m2", "r1", &alice, 3000, "again"),
            &Delivery::default(),
        )
        .await
        .unwrap();
    let r = store.room_by_id("r1").await.unwrap().unwrap();
    assert_eq!((r.msgs, r.lm), (2, Some(3000)));
    assert_eq!(r.last_message.unwrap().id, "m2");
    let bobs = store.subscription("r1", "u2").await.unwrap().unwrap();
    assert_eq!((bobs.unread, bobs.alert, bobs.user_mentions), (2, true, 1));
    let alices = store.subscription("r1", "u1").await.unwrap().unwrap();
    assert_eq!(alices.unread, 0);

    // The same id twice is refused, even after deletion.
    assert!(matches!(
        store.insert_message(&first, &Delivery::default()).await,
        Err(StoreError::Duplicate(_))
    ));
    let history = store
        .room_history(
            "r1",
            &HistoryQuery {
                count: 10,
                show_thread_messages: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        vec!["m2", "m1"]
    );
    let window = store
        .room_history(
            "r1",
            &HistoryQuery {
                latest: Some(3000),
                count: 10,
                show_thread_messages: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(
        store.count_messages_after("r1", 2000, "u2").await.unwrap(),
        1
    );

    let m2 = store.message_by_id("m2").await.unwrap().unwrap();
    assert!(store.delete_message(&m2, 4000, None).await.unwrap());
    assert!(store.message_id_used("m2").await.unwrap());
    assert!(matches!(
        store.insert_message(&m2, &Delivery::default()).await,
        Err(StoreError::Duplicate(_))
    ));
    let r = store.room_by_id("r1").await.unwrap().unwrap();
    assert_eq!((r.msgs, r.lm), (1, Some(2000)));
    let (deleted, total) = store
        .deleted_message_ids("r1", 0, Page::default())
        .await
        .unwrap();
    assert_eq!((deleted[0].0.as_str(), total), ("m2", 1));

    let filter = Filter::from_mongo(
        &json!({"msg": {"$regex": "hello"}}),
        ferrochat_store::messages::FIELDS,
    )
    .unwrap();
    let (found, total) = store
        .room_messages("r1", &filter, &Sort::default(), Page::default())
        .await
        .unwrap();
    assert_eq!((found.len(), total), (1, 1));

    assert!(store.mark_read("r1", "u2", 5000).await.unwrap());
    let bobs = store.subscription("r1", "u2").await.unwrap().unwrap();
    assert_eq!(
        (bobs.unread, bobs.alert, bobs.user_mentions, bobs.ls),
        (0, false, 0, Some(5000))
    );
    // How far every member has read: alice last read when she joined.
    assert_eq!(store.min_last_seen_of_room("r1").await.unwrap(), Some(1000));
    assert!(store.mark_read("r1", "u1", 7000).await.unwrap());
    assert_eq!(store.min_last_seen_of_room("r1").await.unwrap(), Some(5000));
    assert_eq!(store.min_last_seen_of_room("nowhere").await.unwrap(), None);
    assert!(
        store
            .mark_unread_since("r1", "u2", 2000, 6000)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .subscription("r1", "u2")
            .await
            .unwrap()
            .unwrap()
            .unread,
        1
    );
}

async fn rooms_and_memberships(store: &Store) {
    let alice = user("u1", "alice");
    store.insert_user(&alice).await.unwrap();
    store
        .create_room(&room("r1", "dev"), &[sub("s1", "r1", &alice)])
        .await
        .unwrap();
    assert!(matches!(
        store.create_room(&room("r2", "Dev"), &[]).await,
        Err(StoreError::Duplicate(_))
    ));
    // Membership checks that do not load the membership.
    assert!(store.is_member("r1", "u1").await.unwrap());
    assert!(!store.is_member("r1", "u2").await.unwrap());
    let (r, member) = store
        .room_with_membership("r1", "u1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.id.as_str(), r.name.as_deref(), member),
        ("r1", Some("dev"), true)
    );
    let (_, member) = store
        .room_with_membership("r1", "u2")
        .await
        .unwrap()
        .unwrap();
    assert!(!member);
    assert!(
        store
            .room_with_membership("nope", "u1")
            .await
            .unwrap()
            .is_none()
    );

    let patch = RoomPatch {
        name: Some("devs".into()),
        fname: Some("devs".into()),
        topic: Some(Some("t".into())),
        read_only: Some(true),
        ..Default::default()
    };
    assert!(store.update_room("r1", &patch, 2000).await.unwrap());
    let r = store.room_by_id("r1").await.unwrap().unwrap();
    assert_eq!(
        (r.name.as_deref(), r.topic.as_deref(), r.read_only),
        (Some("devs"), Some("t"), true)
    );
    assert_eq!(
        store.subscription("r1", "u1").await.unwrap().unwrap().name,
        "devs"
    );

    let patch = SubscriptionPatch {
        favorite: Some(true),
        open: Some(false),
        extra: Some(
            json!({"desktopNotifications": "all"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        ..Default::default()
    };
    assert!(
        store
            .update_subscription("r1", "u1", &patch, 3000)
            .await
            .unwrap()
    );
    let s = store.subscription("r1", "u1").await.unwrap().unwrap();
    assert!(s.favorite && !s.open);
    assert_eq!(s.extra["desktopNotifications"], json!("all"));

    let (rooms, total) = store
        .rooms_of_user(
            "u1",
            &[RoomType::Channel],
            &Filter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!((rooms.len(), total), (1, 1));
    let (members, total) = store
        .room_members("r1", Some("ALI"), &[], Page::default())
        .await
        .unwrap();
    assert_eq!((members.len(), total), (1, 1));

    assert!(store.remove_subscription("r1", "u1", 4000).await.unwrap());
    assert_eq!(
        store.room_by_id("r1").await.unwrap().unwrap().users_count,
        0
    );
    assert_eq!(store.removed_room_ids("u1", 3500).await.unwrap().len(), 1);
    assert!(
        store
            .add_subscription(&sub("s9", "r1", &alice))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_subscription(&sub("s10", "r1", &alice))
            .await
            .unwrap()
    );
    assert!(store.removed_room_ids("u1", 3500).await.unwrap().is_empty());

    assert!(store.delete_room("r1", 5000).await.unwrap());
    assert!(store.room_by_id("r1").await.unwrap().is_none());
    assert_eq!(store.removed_room_ids("u1", 4500).await.unwrap().len(), 1);
}

async fn settings_permissions_meta(store: &Store) {
    store
        .put_setting("Site_Name", &json!("Acme"), 10)
        .await
        .unwrap();
    store
        .put_setting("Site_Name", &json!("Acme 2"), 20)
        .await
        .unwrap();
    assert_eq!(
        store.setting_values().await.unwrap(),
        vec![("Site_Name".to_owned(), json!("Acme 2"), 20)]
    );

    store
        .seed_permissions(&[("create-c", vec!["admin".into(), "user".into()])], 1)
        .await
        .unwrap();
    store
        .set_permission_roles("create-c", &["admin".into()], 2)
        .await
        .unwrap();
    // Seeding again keeps the administrator's change.
    assert_eq!(
        store
            .seed_permissions(&[("create-c", vec!["user".into()])], 3)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.permissions().await.unwrap()[0].roles,
        vec!["admin".to_owned()]
    );

    assert_eq!(store.meta_get_or_insert("k", "v1").await.unwrap(), "v1");
    assert_eq!(store.meta_get_or_insert("k", "v2").await.unwrap(), "v1");
}

async fn audit_log(store: &Store) {
    use ferrochat_store::audit::{AuditEntry, AuditFilter};
    let entry = |id: &str, ts: i64, actor: (&str, &str), action: &str, target: &str| AuditEntry {
        id: id.into(),
        ts,
        actor_id: actor.0.into(),
        actor_username: actor.1.into(),
        action: action.into(),
        target_type: "user".into(),
        target_id: target.into(),
        before: Some(json!({"active": true})),
        after: Some(json!({"active": false})),
        ip: Some("127.0.0.1".into()),
    };
    // No foreign key: the actor need not exist.
    store
        .insert_audit(&entry("a1", 100, ("adm1", "ann"), "user.create", "u1"))
        .await
        .unwrap();
    store
        .insert_audit(&entry("a2", 200, ("adm1", "ann"), "user.deactivate", "u1"))
        .await
        .unwrap();
    let mut third = entry("a3", 300, ("adm2", "bob"), "role.grant", "u2");
    third.before = None;
    third.ip = None;
    store.insert_audit(&third).await.unwrap();

    let all = Page {
        offset: 0,
        count: None,
    };
    let (entries, total) = store
        .audit_entries(&AuditFilter::default(), all)
        .await
        .unwrap();
    assert_eq!(total, 3);
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a3", "a2", "a1"], "newest first");
    assert_eq!(entries[0], third);
    assert_eq!(
        entries[1],
        entry("a2", 200, ("adm1", "ann"), "user.deactivate", "u1")
    );

    let by = |filter: AuditFilter| async move {
        let (entries, total) = store.audit_entries(&filter, all).await.unwrap();
        (entries.into_iter().map(|e| e.id).collect::<Vec<_>>(), total)
    };
    let actor = |a: &str| AuditFilter {
        actor: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(by(actor("ann")).await, (vec!["a2".into(), "a1".into()], 2));
    assert_eq!(by(actor("adm2")).await, (vec!["a3".into()], 1));
    assert_eq!(
        by(AuditFilter {
            action: Some("user.create".into()),
            ..Default::default()
        })
        .await,
        (vec!["a1".into()], 1)
    );
    assert_eq!(
        by(AuditFilter {
            target_id: Some("u1".into()),
            since: Some(150),
            until: Some(300),
            ..Default::default()
        })
        .await,
        (vec!["a2".into()], 1)
    );
    // Paging keeps the total.
    let (page, total) = store
        .audit_entries(
            &AuditFilter::default(),
            Page {
                offset: 1,
                count: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!((page.len(), page[0].id.as_str(), total), (1, "a2", 3));
}

/// Search in one room takes one of two plans (few matches: looked up; many, over 2,000:
/// the room walked newest first); both must give what a plain filter and sort would, and
/// keep to the room. Keys are given in an order unrelated to `ts`.
async fn search_in_a_room(store: &Store) {
    use ferrochat_store::search::SearchQuery;
    let alice = user("u1", "alice");
    store.insert_user(&alice).await.unwrap();
    for rid in ["r1", "r2"] {
        store
            .create_room(&room(rid, rid), &[sub(&format!("s-{rid}"), rid, &alice)])
            .await
            .unwrap();
    }
    const N: i64 = 2_100;
    let mut expected: Vec<(String, String, i64, String)> = Vec::new();
    for i in 0..N {
        // A permutation of 0..N: insertion order is not time order.
        let ts = 10_000 + (i * 7_919) % N;
        let rid = if i % 40 == 0 { "r2" } else { "r1" };
        let text = if i % 100 == 7 {
            format!("common rareword {i}")
        } else {
            format!("common words {i}")
        };
        let id = format!("m{i:05}");
        store
            .insert_message(&message(&id, rid, &alice, ts, &text), &Delivery::default())
            .await
            .unwrap();
        expected.push((id, rid.to_owned(), ts, text));
    }
    expected.sort_by_key(|e| std::cmp::Reverse(e.2));
    let search = |rids: Vec<&str>, text: &str, offset: i64, count: i64| {
        let rids: Vec<String> = rids.into_iter().map(str::to_owned).collect();
        let query = SearchQuery {
            terms: vec![text.to_owned()],
            ..SearchQuery::default()
        };
        async move {
            store
                .search_messages(
                    &rids,
                    &query,
                    Page {
                        offset,
                        count: Some(count),
                    },
                )
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        }
    };
    let want = |rids: &[&str], word: &str, offset: usize, count: usize| -> Vec<String> {
        expected
            .iter()
            .filter(|(_, rid, _, text)| rids.contains(&rid.as_str()) && text.contains(word))
            .skip(offset)
            .take(count)
            .map(|(id, ..)| id.clone())
            .collect()
    };
    // Many matches (the walk): the newest page and one deep inside.
    assert_eq!(
        search(vec!["r1"], "common", 0, 20).await,
        want(&["r1"], "common", 0, 20)
    );
    assert_eq!(
        search(vec!["r1"], "comm", 1_900, 50).await,
        want(&["r1"], "common", 1_900, 50)
    );
    // Every term must match, as a prefix, whatever its case.
    assert_eq!(
        search(vec!["r1"], "COMM, rarew", 0, 100).await,
        want(&["r1"], "rareword", 0, 100)
    );
    assert!(
        search(vec!["r1"], "rareword nosuchword", 0, 100)
            .await
            .is_empty()
    );
    // Few matches (looked up by id), in one room and in several.
    let rare = search(vec!["r1"], "rareword", 0, 100).await;
    assert_eq!(rare, want(&["r1"], "rareword", 0, 100));
    assert!(!rare.is_empty());
    assert_eq!(
        search(vec!["r2"], "rare", 0, 100).await,
        want(&["r2"], "rareword", 0, 100)
    );
    assert_eq!(
        search(vec!["r1", "r2"], "rareword", 0, 100).await,
        want(&["r1", "r2"], "rareword", 0, 100)
    );
    // A word never matches the room id the index now holds.
    assert!(search(vec!["r1"], "r1", 0, 10).await.is_empty());
}

/// Many messages at once (on SQLite they share group commits): each is stored exactly once
/// with its effects, a reused id is refused without disturbing the others, and a thread
/// reply among them counts in its thread.
async fn concurrent_messages(store: &Store) {
    let alice = user("u1", "alice");
    let bob = user("u2", "bob");
    let carol = user("u3", "carol");
    for u in [&alice, &bob, &carol] {
        store.insert_user(u).await.unwrap();
    }
    store
        .create_room(
            &room("r1", "dev"),
            &[
                sub("s1", "r1", &alice),
                sub("s2", "r1", &bob),
                sub("s3", "r1", &carol),
            ],
        )
        .await
        .unwrap();
    let parent = message("p", "r1", &alice, 1000, "a thread");
    store
        .insert_message(&parent, &Delivery::default())
        .await
        .unwrap();
    let gone = message("gone", "r1", &alice, 1001, "deleted");
    store
        .insert_message(&gone, &Delivery::default())
        .await
        .unwrap();
    assert!(store.delete_message(&gone, 1002, None).await.unwrap());

    let mut tasks = Vec::new();
    for i in 0..40_i64 {
        let store = store.clone();
        let from = if i % 2 == 0 {
            alice.clone()
        } else {
            bob.clone()
        };
        // Every tenth names carol twice; she counts one mention per message.
        let (text, mentioned) = if i % 10 == 0 {
            (
                format!("@carol @carol {i}"),
                vec!["u3".to_string(), "u3".to_string()],
            )
        } else {
            (format!("post {i}"), vec![])
        };
        let mut m = message(&format!("c{i}"), "r1", &from, 2000 + i, &text);
        if i == 7 {
            m.tmid = Some("p".into());
        }
        tasks.push(tokio::spawn(async move {
            store
                .insert_message(
                    &m,
                    &Delivery {
                        mentioned_user_ids: mentioned,
                        ..Delivery::default()
                    },
                )
                .await
        }));
    }
    // Reused ids, racing with the others: one of a live message, one of a deleted one.
    for id in ["p", "gone"] {
        let store = store.clone();
        let m = message(id, "r1", &carol, 5000, "again");
        tasks.push(tokio::spawn(async move {
            store.insert_message(&m, &Delivery::default()).await
        }));
    }
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => refused += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(refused, 2);
    assert_eq!(
        store.message_by_id("p").await.unwrap().unwrap().msg,
        "a thread"
    );
    let r = store.room_by_id("r1").await.unwrap().unwrap();
    // p, gone (deleted), 40 new.
    assert_eq!(r.msgs, 41);
    // The thread reply is not shown in the room: 39 of the 40 make it unread, after the 2
    // before.
    let carols = store.subscription("r1", "u3").await.unwrap().unwrap();
    assert_eq!((carols.unread, carols.user_mentions), (2 + 39, 4));
    let parent = store.message_by_id("p").await.unwrap().unwrap();
    assert_eq!(parent.extra.get("tcount"), Some(&json!(1)));
    let alices = store.subscription("r1", "u1").await.unwrap().unwrap();
    let bobs = store.subscription("r1", "u2").await.unwrap().unwrap();
    // Alice wrote the even ones, Bob the odd ones (c7, the reply, among them).
    assert_eq!(alices.unread, 19);
    assert_eq!(bobs.unread, 2 + 20);
}

on_both!(users, users_round_trip);
on_both!(messages, messages_move_counters);
on_both!(rooms, rooms_and_memberships);
on_both!(settings, settings_permissions_meta);
on_both!(audit, audit_log);
on_both!(search, search_in_a_room);
on_both!(concurrent, concurrent_messages);
