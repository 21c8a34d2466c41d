-- Precomputed facet counts for serving complaints fast (openbangkok.serving; measured effect in
-- benchmarks/results/serve.md). Runs after serving_indexes.sql (file-name order) and reads its
-- index complaints_district_newest, which carries every column used here (no pass over the table).
--
-- complaints_facet_counts: one row per distinct (district_code, state, types) with its number of
-- tickets, n (about 146,000 rows for a million tickets). A page whose only filters are equalities on
-- these columns gets its count and its district, state and types facets from here: sums over a few
-- thousand rows instead of counts over 20,000-100,000 tickets.
-- complaints_facet_rows: each ticket's combination (rowid -> combo, 12 MB). A search page counts its
-- facets by combination in one pass over this narrow table (instead of three passes over the
-- 1.9 GB table), then sums them per district, state and type.
-- Both are hidden on the site (metadata.yml) and rebuilt from complaints at every build, so they
-- always agree with it; tests/test_serving_rewrites.py checks that every answer is Datasette's own.

drop table if exists complaints_facet_rows;
drop table if exists complaints_facet_counts;
create table complaints_facet_counts (
  combo integer primary key, district_code text, state text, types text, n integer not null);
insert into complaints_facet_counts (district_code, state, types, n)
  select district_code, state, types, count(*) from complaints indexed by complaints_district_newest
  group by district_code, state, types;
create unique index complaints_facet_counts_combination on complaints_facet_counts (district_code, state, types);
create index complaints_facet_counts_state on complaints_facet_counts (state, district_code);
create table complaints_facet_rows (complaint_rowid integer primary key, combo integer not null);
insert into complaints_facet_rows
  select c.rowid, f.combo from complaints c indexed by complaints_district_newest
  join complaints_facet_counts f
    on f.district_code is c.district_code and f.state is c.state and f.types is c.types
  order by c.rowid;
