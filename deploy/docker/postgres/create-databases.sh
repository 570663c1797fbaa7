#!/usr/bin/env bash
# PostgreSQL init script for docker-compose.yml: runs once, when the container first creates
# its data folder. Each Convene service gets its own database, owned by a login role of the
# same name, so no service can read another's tables.
#   CONVENE_DATABASES          space-separated names, e.g. "enrolment scheduling feedback"
#   CONVENE_DATABASE_PASSWORD  password of those roles (development only)
set -euo pipefail
: "${CONVENE_DATABASES:?set CONVENE_DATABASES to the databases to create}"
: "${CONVENE_DATABASE_PASSWORD:?set CONVENE_DATABASE_PASSWORD to the password of those roles}"

for name in $CONVENE_DATABASES; do
  if [[ ! $name =~ ^[a-z_][a-z0-9_]*$ ]]; then
    echo "create-databases: '$name' is not a plain lower-case identifier" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
    -v name="$name" -v password="$CONVENE_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "create-databases: database $name owned by role $name"
done
