-- Views for the policy pages; the canned queries in metadata.yml select from them.

-- Every progress report with its KPI and policy: a policy's full timeline.
drop view if exists policy_progress_reports;
create view policy_progress_reports as
select
  u.policy_id,
  p.title_th as policy_title_th,
  u.kpi_id,
  k.name_th as kpi_th,
  k.name_en as kpi_en,
  k.unit,
  k.target,
  k.fiscal_year_be,
  u.report_month,
  u.value,
  u.progress_percent,
  u.note,
  u.is_illustrative,
  u.source
from policy_updates u
join policy_kpis k on k.kpi_id = u.kpi_id
join policies p on p.policy_id = u.policy_id;

-- Each KPI's reporting state: its latest report, how long before the dataset's latest report month it
-- was, and whether its last three reports show any progress.
drop view if exists policy_kpi_status;
create view policy_kpi_status as
with latest as (select max(report_month) as month from policy_updates),
ranked as (
  select u.*, coalesce(u.progress_percent, u.value) as measure,
         row_number() over (partition by u.kpi_id order by u.report_month desc) as recency
  from policy_updates u
)
select
  k.policy_id,
  k.kpi_id,
  k.name_th as kpi_th,
  k.unit,
  k.target,
  count(r.kpi_id) as reports,
  max(r.report_month) as last_report_month,
  (select month from latest) as dataset_latest_month,
  cast(julianday((select month from latest) || '-01') - julianday(max(r.report_month) || '-01') as integer)
    as days_without_report,
  max(case when r.recency = 1 then r.progress_percent end) as last_progress_percent,
  max(case when r.recency = 1 then r.value end) as last_value,
  case when sum(r.recency <= 3 and r.measure is not null) = 3
       then max(case when r.recency <= 3 then r.measure end) = min(case when r.recency <= 3 then r.measure end)
       else 0 end as no_progress_in_last_3,
  k.is_illustrative
from policy_kpis k
left join ranked r on r.kpi_id = k.kpi_id
group by k.kpi_id;

-- Per dimension: policies per status and mean progress.
drop view if exists policy_progress_by_dimension;
create view policy_progress_by_dimension as
select
  d.dimension_number,
  d.dimension_code,
  d.name_th,
  d.name_en,
  count(p.policy_id) as policies,
  sum(p.status = 'not started') as not_started,
  sum(p.status = 'in progress') as in_progress,
  sum(p.status = 'achieved') as achieved,
  sum(p.status = 'on hold') as on_hold,
  count(p.progress_percent) as policies_with_progress,
  round(avg(p.progress_percent), 1) as mean_progress_percent,
  sum(p.is_illustrative) as illustrative_policies
from policy_dimensions d
left join policies p on p.dimension = d.dimension_code
group by d.dimension_code
order by d.dimension_number;

-- Per policy: when it was last reported on, how many of its KPIs are unfinished (latest progress below
-- 100 %, or none) and how many of those show no progress in their last three reports (the
-- stalled_policies canned query filters this view).
drop view if exists policy_reporting;
create view policy_reporting as
with latest as (select max(report_month) as month from policy_updates)
select
  p.policy_id,
  p.title_th,
  p.title_en,
  p.dimension,
  p.status,
  p.lead_agency_code,
  p.kpi_count,
  p.latest_report_month as last_report_month,
  (select month from latest) as dataset_latest_month,
  cast(julianday((select month from latest) || '-01') - julianday(p.latest_report_month || '-01') as integer)
    as days_without_report,
  (select count(*) from policy_kpi_status s
   where s.policy_id = p.policy_id and coalesce(s.last_progress_percent, 0) < 100) as unfinished_kpis,
  (select count(*) from policy_kpi_status s
   where s.policy_id = p.policy_id and s.no_progress_in_last_3 and coalesce(s.last_progress_percent, 0) < 100)
    as kpis_without_progress_in_last_3,
  p.progress_percent,
  p.is_illustrative
from policies p;
