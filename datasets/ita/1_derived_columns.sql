-- ita_results: columns derived from the delivered ones, so each fact has one source of truth.
-- Plain SQL (no custom functions), so the downloaded openbangkok.db reads them in any SQLite client.
-- The pass mark 85 is the NACC's (openbangkok.model.sql_functions.ITA_PASS_MARK; tests/test_ita.py checks
-- that `passed` agrees with ita_level(score) on every row).
alter table ita_results add column fiscal_year_ce integer
  generated always as (fiscal_year_be - 543) virtual;
alter table ita_results add column passed integer
  generated always as (score >= 85) virtual;
