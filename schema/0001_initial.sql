-- auditq store, first schema. Released migrations are never edited: changes
-- go into a new numbered file.

-- Every text value (node, record types, comm, exe, key, tty, paths, …) is
-- stored once here and referenced by id: events stay small, and ausearch's
-- substring filters (-k, -x, -f) scan this short list instead of every event.
CREATE TABLE text (
    id    INTEGER PRIMARY KEY CHECK (id >= 0),
    value TEXT NOT NULL UNIQUE
);
INSERT INTO text (id, value) VALUES (0, '');

-- Zstandard-compressed raw text of consecutive events (every record's text
-- as read, "\n" after each); events point at their slice.
CREATE TABLE raw_block (
    id       INTEGER PRIMARY KEY CHECK (id > 0),
    codec    TEXT NOT NULL CHECK (codec IN ('zstd')),
    raw_size INTEGER NOT NULL CHECK (raw_size >= 0),
    data     BLOB NOT NULL
);

-- One row per audit event. Identity is (node, time, serial, types, part):
-- re-importing the same records adds nothing. auparse may emit records of one
-- serial as separate events (a LOGIN record far from its SYSCALL, or an event
-- cut by log rotation): their record types differ, so no piece is taken for a
-- duplicate of another and lost. `part` numbers pieces with the very same
-- types in one input, in input order.
CREATE TABLE event (
    id          INTEGER PRIMARY KEY CHECK (id > 0),
    node        INTEGER NOT NULL DEFAULT 0,     -- text id, 0 = no node
    time_ms     INTEGER NOT NULL,               -- wall clock, milliseconds since the epoch
    serial      INTEGER NOT NULL CHECK (serial >= 0),
    part        INTEGER NOT NULL DEFAULT 0 CHECK (part >= 0),
    types       INTEGER NOT NULL,               -- text id of the record types in order, space-separated
    records     INTEGER NOT NULL CHECK (records > 0),
    arch        INTEGER,
    syscall     INTEGER,
    success     INTEGER CHECK (success IN (0, 1)),
    exit        INTEGER,
    pid         INTEGER,
    ppid        INTEGER,
    uid         INTEGER,
    euid        INTEGER,
    gid         INTEGER,
    auid        INTEGER,
    ses         INTEGER,
    tty         INTEGER,                        -- text ids from here to cwd
    comm        INTEGER,
    exe         INTEGER,
    key         INTEGER,
    path        INTEGER,                        -- the primary object path
    cwd         INTEGER,
    argv        TEXT,                           -- JSON array, reassembled and decoded
    sock_family INTEGER,
    sock_addr   TEXT,
    sock_port   INTEGER,
    fields      TEXT,                           -- JSON object: fields of USER_*, AVC, CONFIG_CHANGE, … records
    raw_block   INTEGER NOT NULL,
    raw_offset  INTEGER NOT NULL CHECK (raw_offset >= 0),
    raw_length  INTEGER NOT NULL CHECK (raw_length > 0)
);
CREATE UNIQUE INDEX event_identity ON event (serial, time_ms, node, types, part);
CREATE INDEX event_time ON event (time_ms);
CREATE INDEX event_pid ON event (pid);
CREATE INDEX event_auid ON event (auid);
CREATE INDEX event_key ON event (key) WHERE key IS NOT NULL;
CREATE INDEX event_exe ON event (exe) WHERE exe IS NOT NULL;
CREATE INDEX event_ses ON event (ses);
CREATE INDEX event_types ON event (types);
CREATE INDEX event_cwd ON event (cwd) WHERE cwd IS NOT NULL;
CREATE INDEX event_local_socket ON event (path) WHERE sock_family = 1;

-- PATH records, one row per item.
CREATE TABLE path (
    event_id INTEGER NOT NULL CHECK (event_id > 0),
    item     INTEGER NOT NULL,
    name     INTEGER,                           -- text id
    inode    INTEGER,
    mode     INTEGER,
    nametype INTEGER,                           -- text id
    ouid     INTEGER,
    PRIMARY KEY (event_id, item)
) WITHOUT ROWID;
CREATE INDEX path_name ON path (name);

-- Loss and coverage as data: what was imported from where, and gaps in the
-- audit serial sequence (possible loss) within one boot.
CREATE TABLE coverage (
    id            INTEGER PRIMARY KEY CHECK (id > 0),
    kind          TEXT NOT NULL CHECK (kind <> ''),
    recorded_ms   INTEGER NOT NULL,
    source        TEXT,
    node          TEXT,
    first_serial  INTEGER,
    last_serial   INTEGER,
    first_time_ms INTEGER,
    last_time_ms  INTEGER,
    count         INTEGER,
    detail        TEXT
);
CREATE INDEX coverage_kind ON coverage (kind, first_time_ms);

-- The hash chain: each committed batch covers contiguous id ranges of every
-- table above (empty range: last = first - 1) and chains to its predecessor.
CREATE TABLE batch (
    id            INTEGER PRIMARY KEY CHECK (id > 0),
    committed_ms  INTEGER NOT NULL,
    source        TEXT NOT NULL,
    first_text    INTEGER NOT NULL, last_text     INTEGER NOT NULL,
    first_block   INTEGER NOT NULL, last_block    INTEGER NOT NULL,
    first_event   INTEGER NOT NULL, last_event    INTEGER NOT NULL,
    first_coverage INTEGER NOT NULL, last_coverage INTEGER NOT NULL,
    prev_hash     BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash          BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    CHECK (last_text >= first_text - 1 AND last_block >= first_block - 1
           AND last_event >= first_event - 1 AND last_coverage >= first_coverage - 1)
);

-- Append-only, enforced by the database itself.
CREATE TRIGGER text_no_update BEFORE UPDATE ON text BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER text_no_delete BEFORE DELETE ON text BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER raw_block_no_update BEFORE UPDATE ON raw_block BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER raw_block_no_delete BEFORE DELETE ON raw_block BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER path_no_update BEFORE UPDATE ON path BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER path_no_delete BEFORE DELETE ON path BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER coverage_no_update BEFORE UPDATE ON coverage BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER coverage_no_delete BEFORE DELETE ON coverage BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER batch_no_update BEFORE UPDATE ON batch BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;
CREATE TRIGGER batch_no_delete BEFORE DELETE ON batch BEGIN SELECT RAISE(ABORT, 'auditq store is append-only'); END;

-- Readers' view: text ids resolved.
CREATE VIEW event_view AS
SELECT e.id, n.value AS node, e.time_ms, e.serial, e.part, ty.value AS types, e.records,
       e.arch, e.syscall, e.success, e.exit, e.pid, e.ppid, e.uid, e.euid, e.gid, e.auid, e.ses,
       tt.value AS tty, co.value AS comm, ex.value AS exe, k.value AS key, p.value AS path,
       cw.value AS cwd, e.argv, e.sock_family, e.sock_addr, e.sock_port, e.fields,
       e.raw_block, e.raw_offset, e.raw_length
FROM event e
JOIN text n ON n.id = e.node
JOIN text ty ON ty.id = e.types
LEFT JOIN text tt ON tt.id = e.tty
LEFT JOIN text co ON co.id = e.comm
LEFT JOIN text ex ON ex.id = e.exe
LEFT JOIN text k ON k.id = e.key
LEFT JOIN text p ON p.id = e.path
LEFT JOIN text cw ON cw.id = e.cwd;

CREATE VIEW path_view AS
SELECT pa.event_id, pa.item, n.value AS name, pa.inode, pa.mode, nt.value AS nametype, pa.ouid
FROM path pa
LEFT JOIN text n ON n.id = pa.name
LEFT JOIN text nt ON nt.id = pa.nametype;
