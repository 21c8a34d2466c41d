-- policies: columns derived at build from policy_agencies, policy_kpis and policy_updates, so a
-- policy's row page and the policies table show its lead and supporting agencies and its progress,
-- and journalists can facet and sort by them. Plain SQL: the downloaded database reads them anywhere.
create unique index if not exists policy_updates_kpi_month on policy_updates (kpi_id, report_month);
create index if not exists policy_updates_policy on policy_updates (policy_id, report_month);

alter table policies add column lead_agency_code text references agencies (agency_code);
update policies set lead_agency_code = (
  select agency_code from policy_agencies a where a.policy_id = policies.policy_id and a.role = 'H');
create index if not exists policies_lead_agency_code on policies (lead_agency_code);

alter table policies add column supporting_agencies text;
update policies set supporting_agencies = (
  select group_concat(name_th, '; ') from (
    select g.name_th from policy_agencies a join agencies g on g.agency_code = a.agency_code
    where a.policy_id = policies.policy_id and a.role = 'R' order by g.agency_code));

alter table policies add column kpi_count integer;
update policies set kpi_count = (select count(*) from policy_kpis k where k.policy_id = policies.policy_id);

alter table policies add column latest_report_month text;
update policies set latest_report_month = (
  select max(report_month) from policy_updates u where u.policy_id = policies.policy_id);

-- The mean, over the policy's KPIs, of each KPI's latest progress in percent (KPIs without one are left out).
alter table policies add column progress_percent real;
update policies set progress_percent = (
  select round(avg(u.progress_percent), 1) from policy_updates u
  where u.policy_id = policies.policy_id and u.progress_percent is not null
    and u.report_month = (select max(v.report_month) from policy_updates v
                          where v.kpi_id = u.kpi_id and v.progress_percent is not null));
