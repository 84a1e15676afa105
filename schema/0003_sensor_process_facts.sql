-- Process facts from the BPF sensor too: `auditq tree` reads the sensor's
-- exec, fork and exit events beside audit's syscall events. The view of
-- 0002_process_facts.sql is redefined with the same columns, plus
--   source  'audit', 'lsm' or 'tracepoint' (the source that stored the event);
--   boot    the boot id of a sensor event (its serial is boot-time ns, which
--           restarts at each boot); NULL for audit events.
--
-- Sensor events are one record each, of type TP_EXEC, TP_EXIT, TP_FORK or
-- LSM_EXEC (SensorKinds.swift), with the object in the usual columns and
-- the rest in the `fields` JSON:
--   TP_EXEC, LSM_EXEC   'exec': pid, ppid, exe, comm, argv (argv[0] only);
--   TP_EXEC, TP_EXIT    with fields fork_ppid and fork_ns: the fork that made
--                       the process, folded into its first exec or (when it
--                       never exec'd) its exit by the kernel program
--                       (bpf_lsm/events.h, "Process facts, folded"): 'fork'
--                       in the parent fork_ppid, `child` the event's pid,
--                       serial the fork's boot-time ns, time_ms derived from
--                       it. It shares its event_id with the exec or exit;
--   TP_FORK             'fork' (only when the kernel could not hold the fork
--                       for folding): pid the parent, `child` in `exit`;
--   TP_EXIT             'exit' of the whole process (threads are not
--                       reported), exit status in fields.exit_code.
-- When audit and the sensor both recorded one action, both rows are here;
-- ProcessTree shows it once.
DROP VIEW process_fact;

CREATE VIEW process_fact AS
SELECT c.id AS event_id, c.kind, c.time_ms, c.serial, n.value AS node, c.arch, c.syscall,
       c.pid, c.ppid, CASE c.kind WHEN 'fork' THEN c.exit END AS child,
       ex.value AS exe, co.value AS comm, c.argv, c.uid, c.auid, c.ses, c.success,
       'audit' AS source, NULL AS boot
FROM (SELECT id, time_ms, serial, node, arch, syscall, success, exit, pid, ppid, uid, auid, ses, comm, exe, argv,
             CASE arch
               WHEN 3221225534 THEN CASE syscall WHEN 59 THEN 'exec' WHEN 322 THEN 'exec'
                                                 WHEN 56 THEN 'fork' WHEN 57 THEN 'fork' WHEN 58 THEN 'fork' WHEN 435 THEN 'fork'
                                                 WHEN 60 THEN 'exit' WHEN 231 THEN 'exit' END
               WHEN 1073741827 THEN CASE syscall WHEN 11 THEN 'exec' WHEN 358 THEN 'exec'
                                                 WHEN 120 THEN 'fork' WHEN 2 THEN 'fork' WHEN 190 THEN 'fork' WHEN 435 THEN 'fork'
                                                 WHEN 1 THEN 'exit' WHEN 252 THEN 'exit' END
               WHEN 3221225655 THEN CASE syscall WHEN 221 THEN 'exec' WHEN 281 THEN 'exec'
                                                 WHEN 220 THEN 'fork' WHEN 435 THEN 'fork'
                                                 WHEN 93 THEN 'exit' WHEN 94 THEN 'exit' END
             END AS kind
      FROM event
      WHERE syscall IN (59, 322, 56, 57, 58, 435, 60, 231, 11, 358, 120, 2, 190, 1, 252, 221, 281, 220, 93, 94)) c
JOIN text n ON n.id = c.node
LEFT JOIN text ex ON ex.id = c.exe
LEFT JOIN text co ON co.id = c.comm
WHERE c.kind = 'exit'
   OR (c.kind = 'exec' AND c.success = 1)
   OR (c.kind = 'fork' AND c.success = 1 AND c.exit > 0)

UNION ALL
-- the sensor's execs
SELECT e.id, 'exec', e.time_ms, e.serial, n.value, NULL, NULL,
       e.pid, e.ppid, NULL, ex.value, co.value, e.argv, e.uid, e.auid, e.ses, e.success,
       json_extract(e.fields, '$.source'), json_extract(e.fields, '$.boot')
FROM event e
JOIN text t ON t.id = e.types AND t.value IN ('TP_EXEC', 'LSM_EXEC')
JOIN text n ON n.id = e.node
LEFT JOIN text ex ON ex.id = e.exe
LEFT JOIN text co ON co.id = e.comm
WHERE e.success = 1

UNION ALL
-- forks folded into the child's first exec or its exit
SELECT e.id, 'fork', e.time_ms - (e.serial - f.fork_ns) / 1000000, f.fork_ns, n.value, NULL, NULL,
       f.fork_ppid, NULL, e.pid, NULL, NULL, NULL, e.uid, e.auid, e.ses, 1,
       json_extract(e.fields, '$.source'), json_extract(e.fields, '$.boot')
FROM event e
JOIN text t ON t.id = e.types AND t.value IN ('TP_EXEC', 'TP_EXIT')
JOIN (SELECT id, CAST(json_extract(fields, '$.fork_ns') AS INTEGER) AS fork_ns,
             CAST(json_extract(fields, '$.fork_ppid') AS INTEGER) AS fork_ppid FROM event) f ON f.id = e.id
JOIN text n ON n.id = e.node
WHERE f.fork_ns > 0

UNION ALL
-- forks reported on their own, and exits
SELECT e.id, CASE t.value WHEN 'TP_FORK' THEN 'fork' ELSE 'exit' END, e.time_ms, e.serial, n.value, NULL, NULL,
       e.pid, e.ppid, CASE t.value WHEN 'TP_FORK' THEN e.exit END, NULL, co.value, NULL, e.uid, e.auid, e.ses, NULL,
       json_extract(e.fields, '$.source'), json_extract(e.fields, '$.boot')
FROM event e
JOIN text t ON t.id = e.types AND t.value IN ('TP_FORK', 'TP_EXIT')
JOIN text n ON n.id = e.node
LEFT JOIN text co ON co.id = e.comm;

-- The children of a process, from the sensor's side: its children's exec
-- and exit events name it as ppid. Audit's process events have their own
-- ppid index (0002); this one holds events without a syscall that name a
-- parent, which are the sensor's (audit's non-syscall records carry no
-- ppid), so audit-only stores pay nothing for it.
CREATE INDEX event_sensor_ppid ON event (ppid) WHERE syscall IS NULL AND ppid IS NOT NULL;
