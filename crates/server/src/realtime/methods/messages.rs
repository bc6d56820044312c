//! Message methods: sending, editing, deleting and reading messages, the history windows
//! (`loadHistory` and friends) and read marks. Each calls the service function its REST twin
//! calls (`chat.sendMessage`, `chat.update`, `chat.delete`, `chat.getMessage`,
//! `channels.history`, `subscriptions.read`), so authentication, validation and permissions
//! follow one code path; only the shapes of params and results are DDP's (EJSON dates).

use ferrochat_model::DateStyle;
use serde_json::{Map, Value, json};

use super::{Args, MethodCtx, Outcome};
use crate::error::{Error, Result};
use crate::services::messages::{self, NewMessage};
use crate::services::{history, subscriptions};

/// Message methods.
pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    let result = match name {
        "sendMessage" => send_message(ctx, args).await,
        "updateMessage" => update_message(ctx, args).await,
        "deleteMessage" => delete_message(ctx, args).await,
        "getSingleMessage" => get_single_message(ctx, args).await,
        "loadHistory" => load_history(ctx, args).await,
        "loadNextMessages" => load_next_messages(ctx, args).await,
        "loadSurroundingMessages" => load_surrounding_messages(ctx, args).await,
        "loadMissedMessages" => load_missed_messages(ctx, args).await,
        "readMessages" => read_messages(ctx, args).await,
        _ => return None,
    };
    Some(result.into())
}

// ---------------------------------------------------------------------------------------------
// Typed access to the fields of an object param (`check(message, {...})`)

/// A failed `check()` of a param: Meteor's `Match failed` (400).
pub(super) fn param_mismatch(index: usize, expected: &str) -> Error {
    Error::InvalidParams {
        message: format!("Match error: Expected {expected} in parameter {index}"),
        in_query: false,
    }
}

/// A failed `check()` of a field of an object param.
pub(super) fn field_mismatch(field: &str, expected: &str) -> Error {
    Error::InvalidParams {
        message: format!("Match error: Expected {expected} in field {field}"),
        in_query: false,
    }
}

/// The fields of an object param. Absent and `null` fields are the same; a field of the
/// wrong type (an operator object where a string belongs, say) is `Match failed`.
pub(super) struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(field_mismatch(key, "string")),
        }
    }

    pub(super) fn str(&self, key: &str) -> Result<&'a str> {
        self.opt_str(key)?
            .ok_or_else(|| field_mismatch(key, "string"))
    }

    /// A string field, with empty strings treated as absent.
    pub(super) fn nonempty(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .opt_str(key)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned))
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(field_mismatch(key, "boolean")),
        }
    }

    pub(super) fn opt_i64(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(|| field_mismatch(key, "integer")),
        }
    }

    pub(super) fn opt_object(&self, key: &str) -> Result<Option<Value>> {
        match self.get(key) {
            None => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(value.clone())),
            Some(_) => Err(field_mismatch(key, "object")),
        }
    }

    pub(super) fn opt_list(&self, key: &str) -> Result<Option<Vec<Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items.clone())),
            Some(_) => Err(field_mismatch(key, "array")),
        }
    }

    pub(super) fn opt_date(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => super::args::ejson_date(value)
                .map(Some)
                .ok_or_else(|| field_mismatch(key, "date")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sending, editing, deleting, reading one message

/// `sendMessage([message, previewUrls?])`: the message as stored, or the stored one when a
/// client-chosen `_id` is sent again (a retry).
async fn send_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = Fields(args.object(0)?);
    // The fields of Rocket.Chat's `check(message, {...})`; the ones Ferrochat does not use
    // (`content`, `e2e`, `federation`, ...) are still type-checked.
    let id = message.opt_str("_id")?.map(str::to_owned);
    let rid = message.opt_str("rid")?;
    let msg = message.opt_str("msg")?.unwrap_or_default().to_owned();
    let tmid = message.nonempty("tmid")?;
    let tshow = message.opt_bool("tshow")?.unwrap_or(false);
    // The server stamps messages itself; a client's `ts` is only checked.
    message.opt_date("ts")?;
    let t = message.opt_str("t")?;
    let bot = message.opt_object("bot")?;
    message.opt_object("content")?;
    message.opt_str("e2e")?;
    message.opt_object("e2eMentions")?;
    let custom_fields = message.opt_object("customFields")?;
    message.opt_object("federation")?;
    let groupable = message.opt_bool("groupable")?;
    message.opt_bool("sentByEmail")?;
    // What `chat.sendMessage` takes besides (older clients send these through the method).
    let alias = message.nonempty("alias")?;
    let emoji = message.nonempty("emoji")?;
    let avatar = message.nonempty("avatar")?;
    let attachments = message.opt_list("attachments")?;
    let blocks = message.opt_list("blocks")?;
    let parse_urls = message.opt_bool("parseUrls")?;
    // previewUrls: which links to unfurl; Ferrochat does not unfurl links.
    args.str_list(1)?;
    if t.is_some() {
        return Err(Error::plain(
            "Cannot send system messages using 'sendMessage'",
        ));
    }
    let Some(rid) = rid.filter(|r| !r.is_empty()) else {
        return Err(Error::plain(
            "The 'rid' property on the message object is missing.",
        ));
    };
    let new = NewMessage {
        id,
        msg,
        tmid,
        tshow,
        alias,
        emoji,
        avatar,
        attachments,
        custom_fields,
        bot,
        groupable,
        parse_urls,
        blocks,
    };
    let sent = messages::send_to(ctx.state, user, rid, new)
        .await
        .map_err(|e| meteor_error(e, "sendMessage"))?;
    Ok(sent.message().to_wire(DateStyle::EJson))
}

/// Services raise some of Rocket.Chat's bare `Error('error-not-allowed')`-style errors, which
/// REST shows as the message itself. Methods carry them as `Meteor.Error`s with that code
/// (as Rocket.Chat's `sendMessage` rethrows them), so DDP clients can match the code.
fn meteor_error(error: Error, method: &str) -> Error {
    match error {
        Error::Plain {
            message,
            error_type: None,
        } if message.starts_with("error-") && !message.contains(char::is_whitespace) => {
            let reason = match message.as_str() {
                "error-not-allowed" => "Not allowed",
                "error-invalid-room" => "Invalid room",
                "error-invalid-subscription" => "Invalid subscription",
                _ => message.as_str(),
            }
            .to_owned();
            Error::failure(&message, reason).with_details(json!({"method": method}))
        }
        other => other,
    }
}

/// `updateMessage([{_id, rid, msg, customFields?}])`: `null`, also when there is no such
/// message (as in Rocket.Chat).
async fn update_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = Fields(args.object(0)?);
    let id = message.str("_id")?;
    let text = message.str("msg")?;
    let custom_fields = message.opt_object("customFields")?;
    let rid = match message.opt_str("rid")? {
        Some(rid) => rid.to_owned(),
        // Rocket.Chat checks the permission in the room the message is in.
        None => match ctx.state.store.message_by_id(id).await? {
            Some(found) => found.rid,
            None => return Ok(Value::Null),
        },
    };
    messages::update(ctx.state, user, &rid, id, text.to_owned(), custom_fields)
        .await
        .map_err(|e| meteor_error(e, "updateMessage"))?;
    Ok(Value::Null)
}

/// `deleteMessage([{_id}])` (`deleteMessageValidatingPermission`).
async fn delete_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = Fields(args.object(0)?);
    let id = message.str("_id")?;
    let Some(found) = ctx.state.store.message_by_id(id).await? else {
        return Err(Error::failure("error-action-not-allowed", "Not allowed")
            .with_details(json!({"method": "deleteMessage", "action": "Delete_message"})));
    };
    messages::delete(ctx.state, user, &found.rid, id, false).await?;
    Ok(Value::Null)
}

/// `getSingleMessage([msgId])`: the message, or `null` when there is none.
async fn get_single_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let id = args.str(0)?;
    Ok(match messages::get(ctx.state, user, id).await? {
        Some(message) => message.to_wire(DateStyle::EJson),
        None => Value::Null,
    })
}

/// `readMessages([rid, readThreads?])`.
async fn read_messages(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let threads = args.opt_bool(1)?.unwrap_or(false);
    subscriptions::read(ctx.state, user, rid, threads)
        .await
        .map_err(|e| meteor_error(e, "readMessages"))?;
    Ok(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// History windows. Each answers `false` when the room does not exist or the caller may not
// read it, as Rocket.Chat's methods do.

fn messages_wire(messages: &[ferrochat_model::Message]) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|m| m.to_wire(DateStyle::EJson))
            .collect(),
    )
}

/// `loadHistory([rid, end, limit = 20, ls, showThreadMessages = true])`:
/// `{messages (newest first), firstUnread?, unreadNotLoaded}`.
async fn load_history(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let end = args.opt_date(1)?;
    let limit = args.opt_int(2)?.unwrap_or(20);
    let ls = args.opt_date(3)?;
    let show_thread_messages = args.opt_bool(4)?.unwrap_or(true);
    let loaded =
        history::load_history(ctx.state, user, rid, end, limit, ls, show_thread_messages).await?;
    Ok(match loaded {
        Some(loaded) => loaded.to_wire(DateStyle::EJson),
        None => Value::Bool(false),
    })
}

/// `loadNextMessages([rid, end, limit = 20])`: `{messages}`, oldest first.
async fn load_next_messages(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let end = args.opt_date(1)?;
    let limit = args.opt_int(2)?.unwrap_or(20);
    if rid.is_empty() {
        return Err(Error::failure("error-invalid-room", "Invalid room")
            .with_details(json!({"method": "loadNextMessages"})));
    }
    Ok(
        match history::load_next(ctx.state, user, rid, end, limit).await? {
            Some(found) => json!({"messages": messages_wire(&found)}),
            None => Value::Bool(false),
        },
    )
}

/// `loadSurroundingMessages([message, limit = 50])`: `{messages, moreBefore, moreAfter}`.
async fn load_surrounding_messages(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = Fields(args.object(0)?);
    let id = message.opt_str("_id")?;
    message.opt_str("rid")?;
    message.opt_date("ts")?;
    let limit = args.opt_int(1)?.unwrap_or(50);
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return Ok(Value::Bool(false));
    };
    Ok(
        match history::load_surrounding(ctx.state, user, id, limit).await? {
            Some(found) => json!({
                "messages": messages_wire(&found.messages),
                "moreBefore": found.more_before,
                "moreAfter": found.more_after,
            }),
            None => Value::Bool(false),
        },
    )
}

/// `loadMissedMessages([rid, start])`: the messages since `start`, newest first.
async fn load_missed_messages(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let Some(start) = args.opt_date(1)? else {
        return Err(param_mismatch(1, "date"));
    };
    if rid.is_empty() {
        return Err(Error::failure("error-invalid-room", "Invalid room")
            .with_details(json!({"method": "loadMissedMessages"})));
    }
    Ok(
        match history::load_missed(ctx.state, user, rid, start).await? {
            Some(found) => messages_wire(&found),
            None => Value::Bool(false),
        },
    )
}
