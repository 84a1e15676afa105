-- Process facts for `auditq tree`: exec, fork/clone and exit, read from the
-- stored events themselves (which the hash chain already covers), so there
-- is no second copy to keep in step. Facts exist where the loaded rules
-- capture these system calls; a collector restart or a split import changes
-- nothing, since the facts are the events.
--
-- Classified per architecture (the `arch` column holds the AUDIT_ARCH value
-- as a number: c000003e x86_64 = 3221225534, 40000003 i386 = 1073741827,
-- c00000b7 aarch64 = 3221225655):
--             execve execveat  clone fork vfork clone3  exit exit_group
--   x86_64        59      322     56   57    58    435    60        231
--   i386          11      358    120    2   190    435     1        252
--   aarch64      221      281    220    -     -    435    93         94
--
-- kind   'exec': a successful execve/execveat (pid, ppid, exe, comm and argv
--                are the new program's);
--        'fork': a successful clone/fork/vfork/clone3 in the parent; `child`
--                is the new pid (the call's exit value). A clone with
--                CLONE_THREAD makes a thread, whose tid is `child` too: the
--                flags are only in the raw record (a0 of clone; clone3 passes
--                a pointer), so readers that care look there;
--        'exit': exit or exit_group. These calls do not return: the kernel
--                logs them when the task ends, without success= or exit=, so
--                both are NULL. `exit` (the thread call) ends one thread of
--                `pid` (audit's pid is the thread group), `exit_group` the
--                whole process.
CREATE VIEW process_fact AS
SELECT c.id AS event_id, c.kind, c.time_ms, c.serial, n.value AS node, c.arch, c.syscall,
       c.pid, c.ppid, CASE c.kind WHEN 'fork' THEN c.exit END AS child,
       ex.value AS exe, co.value AS comm, c.argv, c.uid, c.auid, c.ses, c.success
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
   OR (c.kind = 'fork' AND c.success = 1 AND c.exit > 0);

-- Tree queries find a process's own facts by pid, its creation by the new
-- pid (the exit value of a successful fork-family call) and its children by
-- their ppid. These indexes hold only the events of those system calls, so
-- they cost little on stores made mostly of file and network events, and a
-- busy pid's thousands of opens are not read to find its few forks. Queries
-- that want them repeat these WHERE expressions exactly. They compare with
-- `=`, not IN: SQLite builds a temporary table for an IN list of more than
-- two constants each time it evaluates one, here on every insert. With IN
-- lists a typical import was a quarter slower; with equalities the cost is
-- lost in the noise, and 7 % on a log made only of these calls.
CREATE INDEX event_fork_child ON event (exit)
WHERE ((arch = 3221225534 AND (syscall = 56 OR syscall = 57 OR syscall = 58 OR syscall = 435))
    OR (arch = 1073741827 AND (syscall = 120 OR syscall = 2 OR syscall = 190 OR syscall = 435))
    OR (arch = 3221225655 AND (syscall = 220 OR syscall = 435)))
  AND success = 1;

CREATE INDEX event_process_pid ON event (pid)
WHERE (arch = 3221225534 AND (syscall = 59 OR syscall = 322 OR syscall = 56 OR syscall = 57 OR syscall = 58
                              OR syscall = 435 OR syscall = 60 OR syscall = 231))
   OR (arch = 1073741827 AND (syscall = 11 OR syscall = 358 OR syscall = 120 OR syscall = 2 OR syscall = 190
                              OR syscall = 435 OR syscall = 1 OR syscall = 252))
   OR (arch = 3221225655 AND (syscall = 221 OR syscall = 281 OR syscall = 220 OR syscall = 435
                              OR syscall = 93 OR syscall = 94));

CREATE INDEX event_process_ppid ON event (ppid)
WHERE (arch = 3221225534 AND (syscall = 59 OR syscall = 322 OR syscall = 56 OR syscall = 57 OR syscall = 58
                              OR syscall = 435 OR syscall = 60 OR syscall = 231))
   OR (arch = 1073741827 AND (syscall = 11 OR syscall = 358 OR syscall = 120 OR syscall = 2 OR syscall = 190
                              OR syscall = 435 OR syscall = 1 OR syscall = 252))
   OR (arch = 3221225655 AND (syscall = 221 OR syscall = 281 OR syscall = 220 OR syscall = 435
                              OR syscall = 93 OR syscall = 94));
