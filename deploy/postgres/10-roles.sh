#!/bin/sh
# First start of the compose database (docker-entrypoint-initdb.d), or by hand as a superuser on any server:
#   POSTGRES_USER=postgres POSTGRES_DB=rehab REHAB_OWNER_DB_PASSWORD=… REHAB_APP_DB_PASSWORD=… sh 10-roles.sh
# The two roles of the deployment (created once; running it again changes nothing):
#   rehab_owner owns the database and its tables and runs the migrations (`rehab init`, REHAB_MIGRATE_DATABASE_URL);
#   rehab_app   is what the servers and schedulers connect as: `rehab init` grants it rows only, so it
#               cannot disable the transition log's triggers, truncate or alter a table.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v db="$POSTGRES_DB" \
    -v owner_password="$REHAB_OWNER_DB_PASSWORD" -v app_password="$REHAB_APP_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE rehab_owner LOGIN PASSWORD %L', :'owner_password')
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rehab_owner') \gexec
SELECT format('CREATE ROLE rehab_app LOGIN PASSWORD %L', :'app_password')
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rehab_app') \gexec
ALTER DATABASE :"db" OWNER TO rehab_owner;
ALTER SCHEMA public OWNER TO rehab_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO rehab_owner, rehab_app;
SQL
