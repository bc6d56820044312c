-- Every message updates `updated_at` of all the room's other memberships; with that column in
-- an index each update also moved an index entry. A user's memberships are few, so finding
-- those changed since a date by `user_id` alone and filtering the rest is as good.
DROP INDEX subscriptions_user;
CREATE INDEX subscriptions_user ON subscriptions (user_id);
