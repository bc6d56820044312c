//! DDP methods acting on existing messages: `setReaction`, `starMessage`, `pinMessage`,
//! `unpinMessage`, `followMessage`, `unfollowMessage`, `getThreadMessages`,
//! `getThreadsList`, `readThreads`, `messageSearch`, `slashCommand`, `createDiscussion`, `listEmojiCustom`. Each calls the service its REST twin calls.

use ferrochat_model::DateStyle;
use ferrochat_store::Page;
use serde_json::{Map, Value, json};

use super::args::mismatch;
use super::{Args, MethodCtx, Outcome};
use crate::error::Result;
use crate::services::discussions::{self, NewDiscussion};
use crate::services::reactions::{self, Want};
use crate::services::threads::{self, ThreadFilter};
use crate::services::{pins, search, slash_commands, stars};

pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    Some(
        match name {
            "setReaction" => set_reaction(ctx, args).await,
            "starMessage" => star_message(ctx, args).await,
            "pinMessage" => pin_message(ctx, args).await,
            "unpinMessage" => unpin_message(ctx, args).await,
            "followMessage" => follow(ctx, args, true).await,
            "unfollowMessage" => follow(ctx, args, false).await,
            "getThreadMessages" => thread_messages(ctx, args).await,
            "getThreadsList" => threads_list(ctx, args).await,
            "readThreads" => read_threads(ctx, args).await,
            "messageSearch" => message_search(ctx, args).await,
            "slashCommand" => slash_command(ctx, args).await,
            "createDiscussion" => create_discussion(ctx, args).await,
            "listEmojiCustom" => list_custom_emoji(ctx).await,
            _ => return None,
        }
        .into(),
    )
}

fn field<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| mismatch(0, &format!("a string in field {key}")))
}

/// `limit` / `skip` of the thread methods.
fn page_of(object: &Map<String, Value>) -> Result<Page> {
    let number = |key: &str| -> Result<Option<i64>> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| mismatch(0, &format!("a number in field {key}"))),
        }
    };
    Ok(Page {
        offset: number("skip")?.unwrap_or(0),
        count: Some(number("limit")?.unwrap_or(50).clamp(1, 1000)),
    })
}

/// `setReaction(reaction, messageId, shouldReact?)`.
async fn set_reaction(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let reaction = args.str(0)?;
    let msg_id = args.str(1)?;
    let want = Want::from_should_react(args.opt_bool(2)?);
    reactions::set_reaction(ctx.state, user, msg_id, reaction, want).await?;
    Ok(Value::Null)
}

/// `starMessage({_id, rid, starred})`.
async fn star_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = args.object(0)?;
    let starred = message
        .get("starred")
        .and_then(Value::as_bool)
        .ok_or_else(|| mismatch(0, "a boolean in field starred"))?;
    stars::set_star(ctx.state, user, field(message, "_id")?, starred).await?;
    Ok(Value::Bool(true))
}

/// `pinMessage(message)`: returns the `message_pinned` system message.
async fn pin_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = args.object(0)?;
    let notice = pins::pin(ctx.state, user, field(message, "_id")?).await?;
    Ok(notice.to_wire(DateStyle::EJson))
}

async fn unpin_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let message = args.object(0)?;
    pins::unpin(ctx.state, user, field(message, "_id")?).await?;
    Ok(Value::Bool(true))
}

/// `followMessage({mid})` / `unfollowMessage({mid})`.
async fn follow(ctx: &MethodCtx<'_>, args: &Args<'_>, following: bool) -> Result<Value> {
    let user = ctx.user()?;
    let mid = field(args.object(0)?, "mid")?;
    threads::follow(ctx.state, user, mid, following).await?;
    Ok(Value::Bool(true))
}

/// `getThreadMessages({tmid, limit?, skip?})`: the replies, and the thread is read.
async fn thread_messages(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let query = args.object(0)?;
    let tmid = field(query, "tmid")?;
    let (messages, _) = threads::replies(ctx.state, user, tmid, page_of(query)?).await?;
    threads::read_by_id(ctx.state, user, tmid).await?;
    Ok(messages
        .iter()
        .map(|m| m.to_wire(DateStyle::EJson))
        .collect())
}

/// `getThreadsList({rid, limit?, skip?})`.
async fn threads_list(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let query = args.object(0)?;
    let rid = field(query, "rid")?;
    let (messages, _) = threads::list(
        ctx.state,
        user,
        rid,
        ThreadFilter::All,
        None,
        page_of(query)?,
    )
    .await?;
    Ok(messages
        .iter()
        .map(|m| m.to_wire(DateStyle::EJson))
        .collect())
}

/// `readThreads(tmid)`.
async fn read_threads(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    threads::read_by_id(ctx.state, user, args.str(0)?).await?;
    Ok(Value::Null)
}

/// `messageSearch(text, rid?, limit?, offset?)`: `{message: {docs}}`.
async fn message_search(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let text = args.str(0)?;
    let rid = args.opt_str(1)?.filter(|r| !r.is_empty());
    let limit = args.opt_int(2)?.unwrap_or(20).clamp(1, 100);
    let offset = args.opt_int(3)?.unwrap_or(0).max(0);
    let page = Page {
        offset,
        count: Some(limit),
    };
    let found = search::search(ctx.state, user, rid, text, page).await?;
    let docs: Vec<Value> = found.iter().map(|m| m.to_wire(DateStyle::EJson)).collect();
    Ok(json!({"message": {"docs": docs}}))
}

/// `slashCommand({cmd, params, msg: {rid, tmid?}})`.
async fn slash_command(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let call = args.object(0)?;
    let command = field(call, "cmd")?;
    let params = call.get("params").and_then(Value::as_str).unwrap_or("");
    let message = call
        .get("msg")
        .and_then(Value::as_object)
        .ok_or_else(|| mismatch(0, "an object in field msg"))?;
    let rid = field(message, "rid")?;
    let tmid = message.get("tmid").and_then(Value::as_str);
    let sent = slash_commands::run(ctx.state, user, rid, tmid, command, params).await?;
    Ok(sent.map_or(Value::Null, |m| m.to_wire(DateStyle::EJson)))
}

/// `createDiscussion({prid, pmid?, t_name, users?, reply?, encrypted?})`.
async fn create_discussion(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let input = args.object(0)?;
    let usernames = match input.get("users") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|u| u.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| mismatch(0, "a list of strings in field users"))?,
        Some(_) => return Err(mismatch(0, "a list of strings in field users")),
    };
    let new = NewDiscussion {
        prid: field(input, "prid")?.to_owned(),
        name: field(input, "t_name")?.to_owned(),
        pmid: input.get("pmid").and_then(Value::as_str).map(str::to_owned),
        usernames,
        reply: input
            .get("reply")
            .and_then(Value::as_str)
            .map(str::to_owned),
        encrypted: input
            .get("encrypted")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let room = discussions::create(ctx.state, user, new).await?;
    Ok(discussions::to_wire(&room, DateStyle::EJson))
}

/// `listEmojiCustom()`: every custom emoji.
async fn list_custom_emoji(ctx: &MethodCtx<'_>) -> Result<Value> {
    ctx.user()?;
    Ok(ctx
        .state
        .store
        .custom_emojis()
        .await?
        .iter()
        .map(|e| crate::services::custom_emoji::to_wire(e, DateStyle::EJson))
        .collect())
}
