CREATE OR REPLACE TEMP TABLE __checked AS
SELECT __row,
  client,
  application_id,
  requisition_id,
  candidate_id,
  source,
  coalesce(__p_applied_at.t, timezone('UTC', timezone(__tz, __p_applied_at.d::TIMESTAMP))) AS applied_at,
  coalesce(__p_applied_at.d, timezone(__tz, __p_applied_at.t::TIMESTAMPTZ)::DATE) AS applied_on,
  status,
  extra,
  coalesce(__err0, CASE WHEN __p_applied_at.bad THEN 'applied_at' || chr(9) || 'could not read ''' || __raw_applied_at || ''' as a date or time (expected a date or time such as 2016-03-26T20:11:39.000Z, 2013-12-11T14:42:58Z, 2018-06-07, 2024-01-31 06:00:00.000, 1/2/16 00:00, 06/01/2025)' END) AS __err
FROM (SELECT s.__row,
  $c_client::VARCHAR AS client,
  $c_timezone::VARCHAR AS __tz,
  CASE WHEN s."application_id" LIKE '%.%0' THEN regexp_replace(s."application_id", '^(-?\d+)\.0+$', '\1') ELSE s."application_id" END AS application_id,
  CASE WHEN s."requisition_id" LIKE '%.%0' THEN regexp_replace(s."requisition_id", '^(-?\d+)\.0+$', '\1') ELSE s."requisition_id" END AS requisition_id,
  CASE WHEN s."candidate_id" LIKE '%.%0' THEN regexp_replace(s."candidate_id", '^(-?\d+)\.0+$', '\1') ELSE s."candidate_id" END AS candidate_id,
  s."source" AS source,
  (CASE
        WHEN s."applied_at" IS NULL THEN {'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': false}
        WHEN length(s."applied_at") <= 10 AND s."applied_at" LIKE '____-%' THEN
            {'d': TRY_CAST(s."applied_at" AS DATE), 't': NULL::TIMESTAMP, 'bad': TRY_CAST(s."applied_at" AS DATE) IS NULL}
        WHEN __iso_applied_at IS NOT NULL THEN {'d': NULL::DATE, 't': __iso_applied_at, 'bad': false}
        WHEN regexp_full_match(s."applied_at", '\d{12,13}') THEN
            {'d': NULL::DATE, 't': epoch_ms(s."applied_at"::BIGINT), 'bad': false}
        WHEN regexp_full_match(s."applied_at", '\d{1,5}(\.\d+)?') THEN
            CASE WHEN NOT (TRY_CAST(s."applied_at" AS DOUBLE) BETWEEN 20000 AND 80000) THEN {'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': true}
                 WHEN TRY_CAST(s."applied_at" AS DOUBLE) = floor(TRY_CAST(s."applied_at" AS DOUBLE)) THEN {'d': (DATE '1899-12-30' + floor(TRY_CAST(s."applied_at" AS DOUBLE))::INT), 't': NULL::TIMESTAMP, 'bad': false}
                 ELSE {'d': NULL::DATE, 't': (TIMESTAMP '1899-12-30' + to_microseconds(round(TRY_CAST(s."applied_at" AS DOUBLE) * 86400000000)::BIGINT)), 'bad': false} END
        WHEN s."applied_at" LIKE '%/%/%' OR s."applied_at" LIKE '%.%.%' THEN
            CASE WHEN s."applied_at" LIKE '%:%' THEN {'d': NULL::DATE, 't': (CASE WHEN $c_date_order::VARCHAR = 'DMY' THEN try_strptime(s."applied_at", ['%d/%m/%y %H:%M', '%d/%m/%y %H:%M:%S', '%d/%m/%y %H:%M:%S.%f', '%d/%m/%y %I:%M %p', '%d/%m/%y %I:%M:%S %p', '%d/%m/%y %I:%M%p', '%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M:%S.%f', '%d/%m/%Y %I:%M %p', '%d/%m/%Y %I:%M:%S %p', '%d/%m/%Y %I:%M%p', '%d.%m.%y %H:%M', '%d.%m.%y %H:%M:%S', '%d.%m.%y %H:%M:%S.%f', '%d.%m.%y %I:%M %p', '%d.%m.%y %I:%M:%S %p', '%d.%m.%y %I:%M%p', '%d.%m.%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M:%S.%f', '%d.%m.%Y %I:%M %p', '%d.%m.%Y %I:%M:%S %p', '%d.%m.%Y %I:%M%p']) ELSE try_strptime(s."applied_at", ['%m/%d/%y %H:%M', '%m/%d/%y %H:%M:%S', '%m/%d/%y %H:%M:%S.%f', '%m/%d/%y %I:%M %p', '%m/%d/%y %I:%M:%S %p', '%m/%d/%y %I:%M%p', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M:%S.%f', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M%p', '%m.%d.%y %H:%M', '%m.%d.%y %H:%M:%S', '%m.%d.%y %H:%M:%S.%f', '%m.%d.%y %I:%M %p', '%m.%d.%y %I:%M:%S %p', '%m.%d.%y %I:%M%p', '%m.%d.%Y %H:%M', '%m.%d.%Y %H:%M:%S', '%m.%d.%Y %H:%M:%S.%f', '%m.%d.%Y %I:%M %p', '%m.%d.%Y %I:%M:%S %p', '%m.%d.%Y %I:%M%p']) END), 'bad': (CASE WHEN $c_date_order::VARCHAR = 'DMY' THEN try_strptime(s."applied_at", ['%d/%m/%y %H:%M', '%d/%m/%y %H:%M:%S', '%d/%m/%y %H:%M:%S.%f', '%d/%m/%y %I:%M %p', '%d/%m/%y %I:%M:%S %p', '%d/%m/%y %I:%M%p', '%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M:%S.%f', '%d/%m/%Y %I:%M %p', '%d/%m/%Y %I:%M:%S %p', '%d/%m/%Y %I:%M%p', '%d.%m.%y %H:%M', '%d.%m.%y %H:%M:%S', '%d.%m.%y %H:%M:%S.%f', '%d.%m.%y %I:%M %p', '%d.%m.%y %I:%M:%S %p', '%d.%m.%y %I:%M%p', '%d.%m.%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M:%S.%f', '%d.%m.%Y %I:%M %p', '%d.%m.%Y %I:%M:%S %p', '%d.%m.%Y %I:%M%p']) ELSE try_strptime(s."applied_at", ['%m/%d/%y %H:%M', '%m/%d/%y %H:%M:%S', '%m/%d/%y %H:%M:%S.%f', '%m/%d/%y %I:%M %p', '%m/%d/%y %I:%M:%S %p', '%m/%d/%y %I:%M%p', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M:%S.%f', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M%p', '%m.%d.%y %H:%M', '%m.%d.%y %H:%M:%S', '%m.%d.%y %H:%M:%S.%f', '%m.%d.%y %I:%M %p', '%m.%d.%y %I:%M:%S %p', '%m.%d.%y %I:%M%p', '%m.%d.%Y %H:%M', '%m.%d.%Y %H:%M:%S', '%m.%d.%Y %H:%M:%S.%f', '%m.%d.%Y %I:%M %p', '%m.%d.%Y %I:%M:%S %p', '%m.%d.%Y %I:%M%p']) END) IS NULL}
                 ELSE {'d': (CASE WHEN $c_date_order::VARCHAR = 'DMY' THEN try_strptime(s."applied_at", ['%d/%m/%y', '%d/%m/%Y', '%d.%m.%y', '%d.%m.%Y']) ELSE try_strptime(s."applied_at", ['%m/%d/%y', '%m/%d/%Y', '%m.%d.%y', '%m.%d.%Y']) END)::DATE, 't': NULL::TIMESTAMP, 'bad': (CASE WHEN $c_date_order::VARCHAR = 'DMY' THEN try_strptime(s."applied_at", ['%d/%m/%y', '%d/%m/%Y', '%d.%m.%y', '%d.%m.%Y']) ELSE try_strptime(s."applied_at", ['%m/%d/%y', '%m/%d/%Y', '%m.%d.%y', '%m.%d.%Y']) END) IS NULL} END
        ELSE {'d': TRY_CAST(try_strptime(s."applied_at", ['%d %b %Y', '%d %B %Y', '%b %d, %Y', '%B %d, %Y', '%d-%b-%Y', '%d-%b-%y', '%b %d %Y', '%B %d %Y']) AS DATE), 't': NULL::TIMESTAMP, 'bad': TRY_CAST(try_strptime(s."applied_at", ['%d %b %Y', '%d %B %Y', '%b %d, %Y', '%B %d, %Y', '%d-%b-%Y', '%d-%b-%y', '%b %d %Y', '%B %d %Y']) AS DATE) IS NULL}
    END) AS __p_applied_at,
  s."applied_at" AS __raw_applied_at,
  lower(s."status") AS status,
  json_object('source_note', s."source_note") AS extra, coalesce(CASE WHEN coalesce(s."client", $override::VARCHAR) IS NULL THEN 'client' || chr(9) || 'client is empty; fill the client column or pass --client' WHEN $c_client::VARCHAR IS NULL THEN 'client' || chr(9) || 'unknown client ''' || coalesce(s."client", $override::VARCHAR) || '''; create it first with: python -m loaders client SETTINGS.toml' END,
  CASE WHEN s."application_id" IS NULL THEN 'application_id' || chr(9) || 'required value is empty' END,
  CASE WHEN s."requisition_id" IS NULL THEN 'requisition_id' || chr(9) || 'required value is empty' END) AS __err0 FROM (SELECT s.*, CASE WHEN s."applied_at" LIKE '____-%' THEN CASE WHEN (s."applied_at" NOT LIKE '%Z' AND strpos(s."applied_at", '+') = 0 AND strpos(substr(s."applied_at", 11), '-') = 0) THEN TRY_CAST(s."applied_at" AS TIMESTAMP) ELSE timezone('UTC', TRY_CAST(s."applied_at" AS TIMESTAMPTZ)) END END AS __iso_applied_at FROM (SELECT s.__row,
  CASE WHEN starts_with(s."client", ' ') OR ends_with(s."client", ' ') OR strlen(s."client") <> length(s."client") THEN nullif(trim(s."client"), '') ELSE nullif(s."client", '') END AS "client",
  CASE WHEN starts_with(s."application_id", ' ') OR ends_with(s."application_id", ' ') OR strlen(s."application_id") <> length(s."application_id") THEN nullif(trim(s."application_id"), '') ELSE nullif(s."application_id", '') END AS "application_id",
  CASE WHEN starts_with(s."requisition_id", ' ') OR ends_with(s."requisition_id", ' ') OR strlen(s."requisition_id") <> length(s."requisition_id") THEN nullif(trim(s."requisition_id"), '') ELSE nullif(s."requisition_id", '') END AS "requisition_id",
  CASE WHEN starts_with(s."candidate_id", ' ') OR ends_with(s."candidate_id", ' ') OR strlen(s."candidate_id") <> length(s."candidate_id") THEN nullif(trim(s."candidate_id"), '') ELSE nullif(s."candidate_id", '') END AS "candidate_id",
  CASE WHEN starts_with(s."source", ' ') OR ends_with(s."source", ' ') OR strlen(s."source") <> length(s."source") THEN nullif(trim(s."source"), '') ELSE nullif(s."source", '') END AS "source",
  CASE WHEN starts_with(s."applied_at", ' ') OR ends_with(s."applied_at", ' ') OR strlen(s."applied_at") <> length(s."applied_at") THEN nullif(trim(s."applied_at"), '') ELSE nullif(s."applied_at", '') END AS "applied_at",
  CASE WHEN starts_with(s."status", ' ') OR ends_with(s."status", ' ') OR strlen(s."status") <> length(s."status") THEN nullif(trim(s."status"), '') ELSE nullif(s."status", '') END AS "status",
  s."source_note" FROM __src0 s) s) s )
