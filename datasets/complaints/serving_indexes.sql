-- Indexes for serving complaints fast at a million rows (benchmarks/serve.py; the measured effect of
-- each is in benchmarks/results/serve.md). Runs after complaints_statistics.sql.
--
-- The table page lists tickets newest first (sort_desc: timestamp) and pages on with keyset
-- pagination, "order by timestamp desc, ticket_id": without an index in exactly that order SQLite
-- collects and sorts every row for page 2 and for each 1,000-row chunk of the CSV export (5 s a
-- chunk at 1M rows, over the time limit: the export stopped after the first page).
--
-- Filtering by a facet value (a district, a state) lists that value's tickets newest first and
-- counts the other facets over them: one index per filter column, in page order, carrying the
-- other facet columns, answers the page, the count and the facets without reading the table
-- (the district's is made by complaints_statistics.sql).
-- They start with the columns the build indexes on its own (facet and sort columns), so the build
-- needs no single-column index on those (it skips a column an index already starts with; the drops
-- below are for databases built before it did).
--
-- The district league (canned query) reads one month's tickets: an index by month carrying what the
-- league counts (is_illustrative included: it counts the sample tickets) answers it without reading
-- the table (36 ms instead of 80 ms at 1M rows); it replaces complaints_statistics.sql's index on
-- reported_month.

drop index if exists idx_complaints_timestamp;
drop index if exists idx_complaints_district_code;
drop index if exists idx_complaints_state;
drop index if exists complaints_reported_month;
create index if not exists complaints_newest on complaints (timestamp desc, ticket_id);
-- complaints_district_newest (district_code, timestamp desc, ticket_id, state, types, ...) is made by
-- complaints_statistics.sql, which runs first and reads it.
create index if not exists complaints_state_newest
  on complaints (state, timestamp desc, ticket_id, district_code, types);
create index if not exists complaints_month_district
  on complaints (reported_month, district_code, state, days_to_last_activity, is_illustrative);
