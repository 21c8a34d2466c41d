-- Statistics for journalists, derived from complaints at every build (descriptions in metadata.yml).
-- A ticket with several types counts once for each of its types; one with no type counts as
-- '(ไม่ระบุ / none)'. Tickets outside Bangkok have an empty district_code.
--
-- Written for both kinds of build (openbangkok.pipeline.derived_sql): temp.complaints_delta holds
-- the tickets to count, each with a sign. In a full build it is every ticket (+1) and the tables
-- below start empty; in an update in place it is the old version (-1) and the new one (+1) of each
-- ticket changed, added or removed, and the tables are those of the published file. Sums are kept
-- by adding the delta; what is not a sum (medians, first and last dates, the per-district rows,
-- which read districts too) is computed again whole, from an index that carries every column it
-- reads (no pass over the 1 KB rows of the table).

create index if not exists complaints_latitude on complaints (latitude);
-- The district pages' index (newest first, carrying the facet columns: serving_indexes.sql says why)
-- also carries what the statistics read, so that they read it instead of the table.
create index if not exists complaints_district_newest
  on complaints (district_code, timestamp desc, ticket_id, state, types, reported_month, days_to_last_activity,
                 is_illustrative);

create table if not exists complaints_by_district_month_type (
  district_code text references districts (district_code),
  reported_month text,
  type text,
  tickets integer,
  finished integer,
  share_finished real,
  illustrative_tickets integer
);
-- illustrative_tickets: how many of the tickets counted are illustrative samples (is_illustrative),
-- in every statistics table, so that a figure computed from samples says so in the data itself.
-- `is`, not `=`: a ticket without a state counts as not finished (0, never NULL), so that a group's
-- count can be kept by adding a delta to it (NULL + 1 would stay NULL).
create temp table complaints_by_district_month_type_delta as
select district_code, reported_month, type, sum(sign) as tickets, sum(sign * finished) as finished,
       sum(sign * illustrative) as illustrative_tickets
from (select d.district_code, coalesce(t.value, '(ไม่ระบุ / none)') as type, d.reported_month,
             d.state is 'เสร็จสิ้น' as finished, d.is_illustrative as illustrative, d.sign
      from temp.complaints_delta d left join json_each(d.types) t)
group by district_code, type, reported_month;
update complaints_by_district_month_type as b
set tickets = b.tickets + d.tickets, finished = b.finished + d.finished,
    share_finished = round(1.0 * (b.finished + d.finished) / nullif(b.tickets + d.tickets, 0), 3),
    illustrative_tickets = b.illustrative_tickets + d.illustrative_tickets
from temp.complaints_by_district_month_type_delta d
where b.district_code is d.district_code and b.reported_month is d.reported_month and b.type = d.type;
insert into complaints_by_district_month_type
select district_code, reported_month, type, tickets, finished, round(1.0 * finished / tickets, 3), illustrative_tickets
from temp.complaints_by_district_month_type_delta d
where not exists (
  select 1 from complaints_by_district_month_type b
  where b.district_code is d.district_code and b.reported_month is d.reported_month and b.type = d.type)
order by 1, 2, 3;
delete from complaints_by_district_month_type where tickets = 0;
drop table temp.complaints_by_district_month_type_delta;
-- (district_code, reported_month, type) finds a group for the update above and serves a page
-- filtered on a district; the other two serve the month and type filters.
create index if not exists complaints_by_district_month_type_group
  on complaints_by_district_month_type (district_code, reported_month, type);
create index if not exists complaints_by_district_month_type_month on complaints_by_district_month_type (reported_month);
create index if not exists complaints_by_district_month_type_type on complaints_by_district_month_type (type);

create table if not exists complaints_median_days (
  district_code text references districts (district_code),
  type text,
  finished_tickets integer,
  median_days_to_last_activity real,
  illustrative_tickets integer
);
-- median() is the build's SQL function (openbangkok.model.sql_functions): the middle value, or the mean
-- of the two middle values. Computed again whole: a day's change touches about half the (district,
-- type) groups and every district.
delete from complaints_median_days;
insert into complaints_median_days
select * from (
  select c.district_code, coalesce(t.value, '(ไม่ระบุ / none)'), count(*), round(median(c.days_to_last_activity), 2),
         sum(c.is_illustrative)
  from complaints c indexed by complaints_district_newest left join json_each(c.types) t
  where c.days_to_last_activity is not null
  group by 1, 2
  union all
  select district_code, '(ทุกประเภท / all types)', count(*), round(median(days_to_last_activity), 2),
         sum(is_illustrative)
  from complaints indexed by complaints_district_newest
  where days_to_last_activity is not null
  group by district_code
)
order by 1, 2;

-- The rate per 10,000 residents divides by districts.population_total (the BMA GIS district layer,
-- whose population states no year: reference/1_district_population.sql).
create table if not exists complaints_district_summary (
  district_code text primary key references districts (district_code),
  tickets integer,
  finished integer,
  share_finished real,
  median_days_to_last_activity real,
  first_reported text,
  last_reported text,
  population integer,
  tickets_per_10000_residents real,
  illustrative_tickets integer
);
delete from complaints_district_summary;
insert into complaints_district_summary
select c.district_code, count(*), sum(c.state is 'เสร็จสิ้น'), round(1.0 * sum(c.state is 'เสร็จสิ้น') / count(*), 3),
       (select m.median_days_to_last_activity from complaints_median_days m
        where m.district_code = c.district_code and m.type = '(ทุกประเภท / all types)'),
       min(c.timestamp), max(c.timestamp), d.population_total,
       round(10000.0 * count(*) / d.population_total, 2), sum(c.is_illustrative)
from complaints c indexed by complaints_district_newest join districts d on d.district_code = c.district_code
where c.district_code is not null
group by c.district_code
order by c.district_code;

create table if not exists complaints_top_districts_by_type (
  type text,
  rank integer,
  district_code text references districts (district_code),
  tickets integer,
  share_of_type real,
  illustrative_tickets integer,
  primary key (type, rank, district_code)
);
-- Counted from complaints_by_district_month_type (a ticket counts once for each of its types
-- there too), summed over the months: no second pass over the tickets; whole, as ranks move.
delete from complaints_top_districts_by_type;
insert into complaints_top_districts_by_type
with counts as (
  select type, district_code, sum(tickets) as tickets, sum(illustrative_tickets) as illustrative_tickets
  from complaints_by_district_month_type
  where district_code is not null and type != '(ไม่ระบุ / none)'
  group by 1, 2
),
ranked as (
  select type, rank() over (partition by type order by tickets desc) as rank, district_code, tickets,
         round(1.0 * tickets / sum(tickets) over (partition by type), 3) as share_of_type, illustrative_tickets
  from counts
)
select * from ranked where rank <= 10 order by type, rank, district_code;
