-- Views over ita_results for the site's ITA pages (canned queries in metadata.yml select from them).

-- District offices ranked within each ITA round (1 = highest score; equal scores share a rank).
drop view if exists ita_district_ranking;
create view ita_district_ranking as
select
  r.fiscal_year_be,
  r.fiscal_year_ce,
  rank() over (partition by r.fiscal_year_be order by r.score desc) as rank,
  r.agency_code,
  a.district_code,
  d.short_name_th as district_th,
  d.name_en as district_en,
  r.score,
  r.iit,
  r.eit,
  r.oit,
  r.level,
  r.passed,
  r.is_illustrative
from ita_results r
join agencies a on a.agency_code = r.agency_code
join districts d on d.district_code = a.district_code
where a.kind = 'district office';

-- Each district's score against its previous ITA round.
drop view if exists ita_district_changes;
create view ita_district_changes as
select
  fiscal_year_be,
  fiscal_year_ce,
  agency_code,
  district_code,
  district_th,
  district_en,
  previous_year_be,
  previous_score,
  score,
  round(score - previous_score, 2) as change,
  previous_rank,
  rank,
  previous_rank - rank as places_up,
  previous_level,
  level,
  max(is_illustrative, previous_is_illustrative) as is_illustrative
from (
  select
    k.*,
    lag(fiscal_year_be) over w as previous_year_be,
    lag(score) over w as previous_score,
    lag(rank) over w as previous_rank,
    lag(level) over w as previous_level,
    lag(is_illustrative) over w as previous_is_illustrative
  from ita_district_ranking k
  window w as (partition by agency_code order by fiscal_year_be)
)
where previous_score is not null;

-- How many district offices reached each level, per ITA round (levels in order, AA first).
drop view if exists ita_level_counts;
create view ita_level_counts as
select
  fiscal_year_be,
  fiscal_year_ce,
  level,
  count(*) as district_offices,
  min(score) as lowest_score,
  max(score) as highest_score,
  sum(is_illustrative) as illustrative_rows
from ita_district_ranking
group by fiscal_year_be, level
order by fiscal_year_be, max(score) desc;
