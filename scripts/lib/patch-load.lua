-- wrk script for an uncontended PATCH load (scripts/bench-http.sh): each
-- thread walks its own share of the seeded tasks (ids ...-8000-1000000nnnnn)
-- round robin, sending the version it last saw for that task as If-Match.
-- Responses carry the task's id and new version, so the next visit sends
-- the right one; a thousand tasks per thread, tens of connections, so a
-- task is never in flight twice. 2,000 tasks in all, so each is patched
-- again within a second or so: the steady state of an api writing tasks it
-- wrote before (the first visit of each reads its facts first; later ones
-- are one statement, docs/jobs.md).

local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
    thread:set("nthreads", 2)
end

local tasks, versions, next_task, sent = {}, {}, 1, 0

function init(args)
    -- Task 1 is patched once while the statements are captured: skip it.
    for n = 2 + tid, 2001, nthreads do
        local id = string.format("00000000-0000-4000-8000-%012d", 100000000000 + n)
        tasks[#tasks + 1] = id
        versions[id] = 1
    end
end

function request()
    local id = tasks[next_task]
    next_task = next_task % #tasks + 1
    sent = sent + 1
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Content-Type"] = "application/json"
    headers["If-Match"] = '"' .. versions[id] .. '"'
    return wrk.format("PATCH", "/api/v1/tasks/" .. id, headers,
        '{"title":"Patched under load ' .. sent .. '"}')
end

function response(status, headers, body)
    local id = body:match('"id":"([%x%-]+)"')
    local version = body:match('"version":(%d+)')
    if id and version and versions[id] then versions[id] = tonumber(version) end
end
