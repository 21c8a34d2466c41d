-- districts: population, area and density from the BMA GIS district layer (bma_gis_districts), so a
-- district's row carries them and statistics can divide by them. The layer states no year. Plain
-- SQL: the downloaded database reads these columns in any SQLite client.
alter table districts add column population_female integer;
alter table districts add column population_male integer;
alter table districts add column population_total integer;
alter table districts add column area_km2 real;
alter table districts add column population_per_km2 real;
update districts set
  population_female = (select g.num_female from bma_gis_districts g where g.dcode = districts.district_code),
  population_male = (select g.num_male from bma_gis_districts g where g.dcode = districts.district_code),
  population_total = (select g.num_female + g.num_male from bma_gis_districts g where g.dcode = districts.district_code),
  area_km2 = (select g.area_dis from bma_gis_districts g where g.dcode = districts.district_code);
update districts set population_per_km2 = round(population_total / area_km2, 1);
