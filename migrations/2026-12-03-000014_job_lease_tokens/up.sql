-- A fencing token per claim. `locked_by` names a process, and every job loop
-- of one process shares it (in a container every pid is 1), so a loop whose
-- lease expired could record an outcome over the loop that re-claimed the job.
-- Each claim draws a fresh token; complete/retry/dead-letter must present it.
ALTER TABLE jobs ADD COLUMN lease_token uuid;
