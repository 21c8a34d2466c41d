-- clinics.popup: what a marker of the clinics map shows (datasette-cluster-map reads a `popup`
-- column of JSON {title, description, link} and HTML-escapes every part of it, so text in the data
-- can never become markup). A virtual generated column in plain SQL, so it follows the row and the
-- downloaded database reads it in any SQLite client.
alter table clinics add column popup text generated always as (json_object(
  'title', name_th || ' / ' || name_en,
  'description',
    'บริการ / Services: ' || coalesce(nullif(
      replace(replace(replace(replace(services, '", "', ', '), '","', ', '), '["', ''), '"]', ''), '[]'), '-')
    || coalesce(' · โทร / Tel. ' || phone, '')
    || ' · ตำแหน่ง / Location: ' || location_precision
    || case when is_illustrative then ' · some services are an ILLUSTRATIVE assignment' else '' end,
  'link', '/openbangkok/clinics/' || id
)) virtual;
