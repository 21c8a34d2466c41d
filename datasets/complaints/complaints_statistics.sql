-- Statistics for journalists, derived from complaints at every build (descriptions in metadata.yml).
-- A ticket with several types counts once for each of its types; one with no type counts as
-- '(ไม่ระบุ / none)'. Tickets outside Bangkok have an empty district_code.

create index if not exists complaints_latitude on complaints (latitude);
-- (reported_month is indexed by serving_indexes.sql: complaints_month_district starts with it)

-- One pass over the tickets (a million rows of 1 KB) for all the statistics below: a row per ticket
-- and type (types is a JSON array; per_ticket marks one row of each ticket, its first type or its
-- none), sorted once by an index that carries every column the statistics read, so that each
-- GROUP BY below reads it in order instead of sorting the tickets again.
create temp table complaints_stats_rows as
select c.district_code, coalesce(t.value, '(ไม่ระบุ / none)') as type, c.reported_month,
       c.state = 'เสร็จสิ้น' as finished, c.days_to_last_activity as days,
       t.key is null or t.key = 0 as per_ticket, c.timestamp, c.is_illustrative as illustrative
from complaints c left join json_each(c.types) t;
create index temp.complaints_stats_rows_order
  on complaints_stats_rows (district_code, type, reported_month, finished, days, per_ticket, timestamp, illustrative);

create table complaints_by_district_month_type (
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
insert into complaints_by_district_month_type
select district_code, reported_month, type, count(*), sum(finished), round(1.0 * sum(finished) / count(*), 3),
       sum(illustrative)
from complaints_stats_rows
group by district_code, type, reported_month
order by 1, 2, 3;
create index complaints_by_district_month_type_district on complaints_by_district_month_type (district_code);
create index complaints_by_district_month_type_month on complaints_by_district_month_type (reported_month);
create index complaints_by_district_month_type_type on complaints_by_district_month_type (type);

create table complaints_median_days (
  district_code text references districts (district_code),
  type text,
  finished_tickets integer,
  median_days_to_last_activity real,
  illustrative_tickets integer
);
-- median() is the build's SQL function (openbangkok.model.sql_functions): the middle value, or the mean
-- of the two middle values.
insert into complaints_median_days
select * from (
  select district_code, type, count(*), round(median(days), 2), sum(illustrative)
  from complaints_stats_rows
  where days is not null
  group by district_code, type
  union all
  select district_code, '(ทุกประเภท / all types)', count(*), round(median(days), 2), sum(illustrative)
  from complaints_stats_rows
  where days is not null and per_ticket
  group by district_code
)
order by 1, 2;

-- The rate per 10,000 residents divides by districts.population_total (the BMA GIS district layer,
-- whose population states no year: reference/1_district_population.sql).
create table complaints_district_summary (
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
insert into complaints_district_summary
select s.district_code, count(*), sum(s.finished), round(1.0 * sum(s.finished) / count(*), 3),
       (select m.median_days_to_last_activity from complaints_median_days m
        where m.district_code = s.district_code and m.type = '(ทุกประเภท / all types)'),
       min(s.timestamp), max(s.timestamp), d.population_total,
       round(10000.0 * count(*) / d.population_total, 2), sum(s.illustrative)
from complaints_stats_rows s join districts d on d.district_code = s.district_code
where s.district_code is not null and s.per_ticket
group by s.district_code
order by s.district_code;

create table complaints_top_districts_by_type (
  type text,
  rank integer,
  district_code text references districts (district_code),
  tickets integer,
  share_of_type real,
  illustrative_tickets integer,
  primary key (type, rank, district_code)
);
-- Counted from complaints_by_district_month_type (a ticket counts once for each of its types
-- there too), summed over the months: no second pass over the tickets.
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
