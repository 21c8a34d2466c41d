-- Precomputed facet counts for serving complaints fast (openbangkok.site.serving.rewrites; measured effect in
-- benchmarks/results/serve.md). Runs after serving_indexes.sql (file-name order): the indexes
-- on complaints carry every column used here (no pass over the table).
--
-- complaints_facet_counts: one row per distinct (district_code, state, types) with its number of
-- tickets, n (about 146,000 rows for a million tickets). A page whose only filters are equalities on
-- these columns gets its count and its district, state and types facets from here: sums over a few
-- thousand rows instead of counts over 20,000-100,000 tickets.
-- complaints_facet_rows: each ticket's combination (rowid -> combo, 12 MB). A search page counts its
-- facets by combination in one pass over this narrow table (instead of three passes over the
-- 1.9 GB table), then sums them per district, state and type.
-- complaints_facet_values: the distinct items of each combination's JSON array columns (types), so
-- that an array facet is a join and a sum instead of splitting and de-duplicating every array of
-- the page's combinations at each request (one district: 6.8 -> 1 ms).
-- complaints_facet_by_value: the district, state and types facets of every page filtered on one
-- district, one state or one type (the facet a reader clicks: ?types__arraycontains=ถนน, whose
-- filter_kind is 'array'), summed once here: a few dozen rows to read instead of summing the
-- value's thousands of combinations at each request (one type: about 200 ms; before this, 2.4 s
-- for Datasette's count and facets over every ticket's JSON array). complaints_facet_values_value
-- finds the combinations of one type, for the count of such a page.
-- Both are hidden on the site (metadata.yml) and follow complaints at every build, so they always
-- agree with it; tests/test_serving_rewrites.py checks that every answer is Datasette's own.
--
-- Written for both kinds of build, as complaints_statistics.sql is (temp.complaints_delta: every
-- ticket in a full build; the old (-1) and new (+1) versions of the tickets an update in place
-- changed, added or removed): the counts, each ticket's combination and the combinations' values
-- follow the delta; a combination no ticket has any more is deleted, a new one gets the next
-- number; complaints_facet_by_value is computed again from the counts.

create table if not exists complaints_facet_counts (
  combo integer primary key, district_code text, state text, types text, n integer not null);
create table if not exists complaints_facet_rows (complaint_rowid integer primary key, combo integer not null);
create table if not exists complaints_facet_values (column_name text not null, combo integer not null, value);
create temp table complaints_facet_delta as
  select district_code, state, types, sum(sign) as n from temp.complaints_delta group by district_code, state, types;
update complaints_facet_counts as f set n = f.n + d.n from temp.complaints_facet_delta d
  where f.district_code is d.district_code and f.state is d.state and f.types is d.types;
delete from complaints_facet_values where combo in (select combo from complaints_facet_counts where n = 0);
delete from complaints_facet_counts where n = 0;
create temp table complaints_facet_numbered as select coalesce(max(combo), 0) as last from complaints_facet_counts;
insert into complaints_facet_counts (district_code, state, types, n)
  select district_code, state, types, n from temp.complaints_facet_delta d
  where n > 0 and not exists (
    select 1 from complaints_facet_counts f
    where f.district_code is d.district_code and f.state is d.state and f.types is d.types)
  order by district_code, state, types;
drop table temp.complaints_facet_delta;
create unique index if not exists complaints_facet_counts_combination on complaints_facet_counts (district_code, state, types);
create index if not exists complaints_facet_counts_state on complaints_facet_counts (state, district_code);
delete from complaints_facet_rows where complaint_rowid in (select row_id from temp.complaints_delta where sign < 0);
insert into complaints_facet_rows
  select d.row_id, f.combo from temp.complaints_delta d
  join complaints_facet_counts f on f.district_code is d.district_code and f.state is d.state and f.types is d.types
  where d.sign > 0
  order by +d.row_id;  -- (+: along an index carrying the three columns, then sorted, not along the 1 KB rows)
insert into complaints_facet_values
  select distinct 'types', c.combo, j.value from complaints_facet_counts c join json_each(c.types) j
  where c.combo > (select last from temp.complaints_facet_numbered)
  order by 1, 2, 3;
drop table temp.complaints_facet_numbered;
create index if not exists complaints_facet_values_combo on complaints_facet_values (column_name, combo, value);
create index if not exists complaints_facet_values_value on complaints_facet_values (column_name, value, combo);
create table if not exists complaints_facet_by_value (
  filter_column text not null, filter_kind text not null, filter_value, facet_kind text not null,
  facet_column text not null, value, n integer not null);
-- whole, from the counts (a few thousand rows): a type's row sums distinct arrays, not a delta
delete from complaints_facet_by_value;
insert into complaints_facet_by_value
  select 'district_code', 'column', district_code, 'column', 'district_code', district_code, sum(n)
  from complaints_facet_counts where district_code is not null group by district_code
  union all
  select 'district_code', 'column', district_code, 'column', 'state', state, sum(n)
  from complaints_facet_counts where district_code is not null and state is not null group by district_code, state
  union all
  select 'district_code', 'column', c.district_code, 'array', 'types', v.value, sum(c.n)
  from complaints_facet_counts c join complaints_facet_values v on v.column_name = 'types' and v.combo = c.combo
  where c.district_code is not null group by c.district_code, v.value
  union all
  select 'state', 'column', state, 'column', 'district_code', district_code, sum(n)
  from complaints_facet_counts where state is not null and district_code is not null group by state, district_code
  union all
  select 'state', 'column', state, 'column', 'state', state, sum(n)
  from complaints_facet_counts where state is not null group by state
  union all
  select 'state', 'column', c.state, 'array', 'types', v.value, sum(c.n)
  from complaints_facet_counts c join complaints_facet_values v on v.column_name = 'types' and v.combo = c.combo
  where c.state is not null group by c.state, v.value;
-- one type: its districts and states from the tickets of each (type, district, state); the types
-- found with it from each distinct array of types (a few thousand), each item counted once per
-- array as complaints_facet_values counts it (pairing the combinations' items instead: 1.0 s)
insert into complaints_facet_by_value
  with by_type as materialized (
    select v.value as type, c.district_code, c.state, sum(c.n) as n
    from complaints_facet_values v join complaints_facet_counts c on c.combo = v.combo
    where v.column_name = 'types' group by 1, 2, 3),
  arrays as (select types, sum(n) as n from complaints_facet_counts where types is not null group by types),
  items as materialized (
    select a.types, j.value, a.n from arrays a join json_each(a.types) j
    where not exists (select 1 from json_each(a.types) k where k.value is j.value and k.id < j.id))
  select 'types', 'array', type, 'column', 'district_code', district_code, sum(n)
  from by_type where district_code is not null group by type, district_code
  union all
  select 'types', 'array', type, 'column', 'state', state, sum(n)
  from by_type where state is not null group by type, state
  union all
  select 'types', 'array', v.value, 'array', 'types', w.value, sum(v.n)
  from items v join items w on w.types = v.types group by v.value, w.value;
create index if not exists complaints_facet_by_value_filter
  on complaints_facet_by_value (filter_column, filter_kind, filter_value, facet_kind, facet_column, value, n);
