// A PutEvents answer for as many entries as the request carries, so the canned sink takes any
// batch size. Entries are counted by their "Source" key: inside an entry's Detail, a key is
// escaped (\"Source\") and does not match. Bodies for 1..10 entries are built once.
const bodies = [];
function body(n) {
  if (!bodies[n]) {
    const entries = [];
    for (let i = 0; i < n; i++) entries.push(`{"EventId":"00000000-0000-4000-8000-${String(i).padStart(12, '0')}"}`);
    bodies[n] = `{"FailedEntryCount":0,"Entries":[${entries.join(',')}]}`;
  }
  return bodies[n];
}

function putEvents(r) {
  const text = r.requestText || '';
  let n = 0;
  for (let i = text.indexOf('"Source":'); i !== -1; i = text.indexOf('"Source":', i + 9)) n++;
  r.headersOut['Content-Type'] = 'application/x-amz-json-1.1';
  r.return(200, body(n));
}

export default { putEvents };
