-- Containers. What the collector learns about cgroups and containers lives
-- in the ledger (coverage rows of kind 'cgroup' and 'container', chained
-- like every row; Sources/AuditStore/ContainerFacts.swift). Events are tied
-- to containers when read (Sources/AuditQuery/ContainerIndex.swift): a
-- sensor event by the cgroup id it carries (fields.cgroup, with fields.boot:
-- ids are unique within one boot), an audit event by its process — the pid
-- and time span of the sensor's facts about that process in a container's
-- cgroup — never by a /proc read made later.
--
-- This index finds the sensor events of given cgroups. It holds sensor
-- events only (the same partial condition as event_sensor_ppid: no syscall
-- column, a ppid), so audit-only stores pay nothing for it. Queries that want
-- it repeat the indexed expression and the WHERE condition exactly.
CREATE INDEX event_sensor_cgroup ON event (json_extract(fields, '$.cgroup'))
WHERE syscall IS NULL AND ppid IS NOT NULL;
