-- Every message updates the unread counters and `updated_at` of all the room's other
-- memberships. With `updated_at` in an index, each of those row versions needed new entries in
-- both of the table's indexes (no heap-only update), which made a post to a 10,000-member room
-- cost ~0.7 s. A user's memberships are few, so finding those changed since a date by
-- `user_id` alone and filtering the rest is as good; with no indexed column changing and
-- room left on each page, the counter updates become heap-only.
DROP INDEX subscriptions_user;
CREATE INDEX subscriptions_user ON subscriptions (user_id);
ALTER TABLE subscriptions SET (fillfactor = 80);
