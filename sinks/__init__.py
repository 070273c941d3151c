"""Storage: the Store contract, embedded chDB and server ClickHouse, migrations, batch writer."""
