-- supervisor/meta/schema.sql - berthd's metadata (meta.db), one SQLite file.
--
-- Applied by meta_open(): each "-- migration N:" section runs once, in order, in
-- its own transaction, which also sets PRAGMA user_version = N. Never edit a
-- released migration: add the next number. Connection settings (WAL,
-- foreign_keys=ON, busy_timeout) are set by meta.c, not here.
--
-- Conventions: times are INTEGER nanoseconds since the Unix epoch (UTC); every
-- object lives in a namespace and is keyed by (namespace, name); labels are rows
-- of <object>_labels, removed with their owner (ON DELETE CASCADE). Content
-- blobs themselves live on disk (content/blobs/sha256/<hex>): this file only
-- records which namespace sees which blob, with its labels.

-- migration 1: namespaces, content, images, leases, containers, snapshots

-- A namespace exists once created explicitly or once anything is written in it
-- (containerd creates namespaces implicitly the same way).
CREATE TABLE namespaces (
	name TEXT PRIMARY KEY NOT NULL,
	created INTEGER NOT NULL
);
CREATE TABLE namespace_labels (
	namespace TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, key)
);

-- Content visible in a namespace. The blob is shared on disk by every
-- namespace that has a row for its digest; GC removes the blob when no row is left.
CREATE TABLE content (
	namespace TEXT NOT NULL REFERENCES namespaces(name),
	digest TEXT NOT NULL,		-- "sha256:<64 hex>"
	size INTEGER NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (namespace, digest)
);
CREATE INDEX content_digest ON content(digest);
CREATE TABLE content_labels (
	namespace TEXT NOT NULL,
	digest TEXT NOT NULL,
	key TEXT NOT NULL,		-- e.g. containerd.io/gc.ref.content.l.0
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, digest, key),
	FOREIGN KEY (namespace, digest) REFERENCES content(namespace, digest) ON DELETE CASCADE
);

-- Images: a name and the descriptor of its root (index or manifest).
CREATE TABLE images (
	namespace TEXT NOT NULL REFERENCES namespaces(name),
	name TEXT NOT NULL,		-- e.g. docker.io/library/busybox:latest
	media_type TEXT NOT NULL,
	digest TEXT NOT NULL,
	size INTEGER NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (namespace, name)
);
CREATE TABLE image_labels (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, name, key),
	FOREIGN KEY (namespace, name) REFERENCES images(namespace, name) ON DELETE CASCADE
);
-- annotations of the image's target descriptor
CREATE TABLE image_annotations (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, name, key),
	FOREIGN KEY (namespace, name) REFERENCES images(namespace, name) ON DELETE CASCADE
);

-- Leases protect what they list from GC until deleted or expired
-- (label containerd.io/gc.expire, RFC 3339).
CREATE TABLE leases (
	namespace TEXT NOT NULL REFERENCES namespaces(name),
	name TEXT NOT NULL,		-- the lease id
	created INTEGER NOT NULL,
	PRIMARY KEY (namespace, name)
);
CREATE TABLE lease_labels (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, name, key),
	FOREIGN KEY (namespace, name) REFERENCES leases(namespace, name) ON DELETE CASCADE
);
-- type: "content" (id = digest), "ingests" (id = ref), "snapshots/<snapshotter>" (id = key)
CREATE TABLE lease_resources (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	id TEXT NOT NULL,
	PRIMARY KEY (namespace, name, type, id),
	FOREIGN KEY (namespace, name) REFERENCES leases(namespace, name) ON DELETE CASCADE
);

-- Containers (metadata only; tasks run in shims). spec and runtime options are
-- google.protobuf.Any: type_url + bytes.
CREATE TABLE containers (
	namespace TEXT NOT NULL REFERENCES namespaces(name),
	name TEXT NOT NULL,		-- the container id
	image TEXT NOT NULL DEFAULT '',
	runtime_name TEXT NOT NULL DEFAULT '',
	runtime_options_type TEXT NOT NULL DEFAULT '',
	runtime_options BLOB,
	spec_type TEXT NOT NULL DEFAULT '',
	spec BLOB,
	snapshotter TEXT NOT NULL DEFAULT '',
	snapshot_key TEXT NOT NULL DEFAULT '',
	sandbox TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (namespace, name)
);
CREATE TABLE container_labels (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, name, key),
	FOREIGN KEY (namespace, name) REFERENCES containers(namespace, name) ON DELETE CASCADE
);
CREATE TABLE container_extensions (
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	type_url TEXT NOT NULL,
	value BLOB,
	PRIMARY KEY (namespace, name, key),
	FOREIGN KEY (namespace, name) REFERENCES containers(namespace, name) ON DELETE CASCADE
);

-- Snapshots as the Snapshots service names them: (namespace, snapshotter, key).
-- backend_id is the snapshotter library's own id for the directory on disk;
-- parent is the key of a committed snapshot in the same namespace and snapshotter.
-- kind: 1 view, 2 active, 3 committed (containerd's snapshots.Kind values).
CREATE TABLE snapshots (
	namespace TEXT NOT NULL REFERENCES namespaces(name),
	snapshotter TEXT NOT NULL,
	name TEXT NOT NULL,		-- the key
	parent TEXT NOT NULL DEFAULT '',
	kind INTEGER NOT NULL,
	backend_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (namespace, snapshotter, name)
);
CREATE INDEX snapshots_parent ON snapshots(namespace, snapshotter, parent);
CREATE TABLE snapshot_labels (
	namespace TEXT NOT NULL,
	snapshotter TEXT NOT NULL,
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (namespace, snapshotter, name, key),
	FOREIGN KEY (namespace, snapshotter, name)
		REFERENCES snapshots(namespace, snapshotter, name) ON DELETE CASCADE
);

-- Daemon-wide settings: "uuid" (introspection Server).
CREATE TABLE settings (
	key TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);
