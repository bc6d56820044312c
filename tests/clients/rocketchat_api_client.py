#!/usr/bin/env python3
"""Drives a Ferrochat server with the PyPI client `rocketchat-API` (pinned in scripts/test).

Usage: FERROCHAT_URL=http://127.0.0.1:PORT python3 rocketchat_api_client.py

The server must run with TEST_MODE=true (the test admin `rocketchat.internal.admin.test`).
Exit status 0 when every step succeeded; otherwise 1 with a message naming the failed step
(2 when the package is not installed).
"""

import os
import secrets
import sys
import traceback

try:
    from rocketchat_API.rocketchat import RocketChat
except ImportError as e:  # pragma: no cover - environment problem, not a test result
    print(
        f"FAIL: the Python package rocketchat-API is not importable ({e}) with {sys.executable}.\n"
        "Run scripts/test (it creates the venv and installs it), or set FERROCHAT_PYTHON to a "
        "python that has rocketchat-API installed.",
        file=sys.stderr,
    )
    sys.exit(2)

ADMIN = "rocketchat.internal.admin.test"


class StepFailed(Exception):
    pass


def step(name, value, *, check=None):
    """Report one step: `value` is the client's return; `check(value)` says whether it is right."""
    ok = check(value) if check else (isinstance(value, dict) and value.get("success") is True)
    if not ok:
        raise StepFailed(f"{name}: unexpected response: {value!r}")
    print(f"ok   {name}")
    return value


def main():
    url = os.environ.get("FERROCHAT_URL")
    if not url:
        raise StepFailed("FERROCHAT_URL is not set")
    url = url.rstrip("/")
    suffix = secrets.token_hex(4)

    # The constructor logs in (POST /api/v1/login with {"username", "password"}) and raises
    # RocketAuthenticationException / RocketConnectionException when that fails.
    rc = RocketChat(ADMIN, ADMIN, server_url=url, timeout=30)
    if rc.headers.get("X-User-Id") != ADMIN or not rc.headers.get("X-Auth-Token"):
        raise StepFailed(f"login: unexpected credentials {rc.headers!r}")
    print("ok   login")

    info = rc.info()
    step("info", info, check=lambda r: isinstance(r, dict) and isinstance(r.get("version"), str))

    me = step("me", rc.me())
    if me.get("username") != ADMIN:
        raise StepFailed(f"me: username is {me.get('username')!r}, expected {ADMIN!r}")

    # A public channel, a message in it, and that message in its history.
    channel_name = f"py-channel-{suffix}"
    created = step("channels_create", rc.channels_create(channel_name))
    channel = created.get("channel") or {}
    room_id = channel.get("_id")
    if not room_id or channel.get("name") != channel_name:
        raise StepFailed(f"channels_create: bad channel object {channel!r}")

    text = f"hello from rocketchat-API {suffix}"
    posted = step("chat_post_message", rc.chat_post_message(text, room_id=room_id))
    message = posted.get("message") or {}
    if message.get("msg") != text or message.get("rid") != room_id or not message.get("_id"):
        raise StepFailed(f"chat_post_message: bad message object {message!r}")

    # channels_history is a paginated generator over `messages` in this client version.
    history = list(rc.channels_history(room_id, count=50))
    found = [m for m in history if m.get("_id") == message["_id"]]
    if not found or found[0].get("msg") != text:
        raise StepFailed(
            f"channels_history: message {message['_id']} not found in {len(history)} messages: "
            f"{history!r}"
        )
    print("ok   channels_history")

    # A private group.
    group_name = f"py-group-{suffix}"
    group = step("groups_create", rc.groups_create(group_name)).get("group") or {}
    if not group.get("_id") or group.get("name") != group_name:
        raise StepFailed(f"groups_create: bad group object {group!r}")

    # A user, a direct message with them (dm.create, alias of im.create), and their info.
    username = f"py-user-{suffix}"
    user = step(
        "users_create",
        rc.users_create(
            email=f"{username}@example.com",
            name=f"Py User {suffix}",
            password=f"pass-{username}",
            username=username,
        ),
    ).get("user") or {}
    user_id = user.get("_id")
    if not user_id or user.get("username") != username:
        raise StepFailed(f"users_create: bad user object {user!r}")

    dm = step("dm_create (im.create)", rc.dm_create(username))
    room = dm.get("room") or {}
    if not (room.get("_id") or room.get("rid")) or room.get("t") != "d":
        raise StepFailed(f"dm_create: bad room object {room!r}")
    if username not in (room.get("usernames") or []):
        raise StepFailed(f"dm_create: {username} missing from usernames in {room!r}")

    info = step("users_info", rc.users_info(user_id=user_id)).get("user") or {}
    if info.get("_id") != user_id or info.get("username") != username:
        raise StepFailed(f"users_info: bad user object {info!r}")
    info = step("users_info by username", rc.users_info(username=username)).get("user") or {}
    if info.get("_id") != user_id:
        raise StepFailed(f"users_info by username: bad user object {info!r}")

    # The new user can log in with this client too.
    as_user = RocketChat(username, f"pass-{username}", server_url=url, timeout=30)
    if as_user.headers.get("X-User-Id") != user_id:
        raise StepFailed(f"login as {username}: unexpected user id {as_user.headers!r}")
    print(f"ok   login as {username}")
    step("logout (new user)", as_user.logout(), check=lambda r: r.get("status") == "success")

    step("logout", rc.logout(), check=lambda r: r.get("status") == "success")
    # The token must be dead now.
    try:
        after = rc.me()
    except Exception as e:  # the client raises on HTTP 401
        print(f"ok   me after logout is refused ({type(e).__name__})")
    else:
        raise StepFailed(f"me after logout: still answered {after!r}")


if __name__ == "__main__":
    try:
        main()
    except StepFailed as e:
        print(f"FAIL {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # an exception from the client library is a failure, too
        traceback.print_exc()
        print(f"FAIL {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print("rocketchat-API client: all steps passed")
