-- A search by author (`@dan`, `store/postgres/inbox.py`) compares each mention's handle whole,
-- in any case: the part of `author_key` after the platform's name (which holds no colon),
-- lower case. Indexed, it is a look-up, however large the inbox and however few the posts.
CREATE INDEX mentions_handle ON mentions (lower(substr(author_key, strpos(author_key, ':') + 1)));
