-- Thumbnails of uploaded images are uploads of their own, pointing at their original; file
-- lists leave them out.

ALTER TABLE uploads ADD COLUMN thumb_of TEXT;
