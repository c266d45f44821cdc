// Conformance of the emulator (or any Airtable-compatible server) with the
// official airtable.js client. The server's URL comes from
// AIRTABLE_ENDPOINT_URL; the suite resets the emulator through
// /__emulator/reset before each test so tests do not depend on each other.
'use strict';

const { test, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const Airtable = require('airtable');

const endpointUrl = process.env.AIRTABLE_ENDPOINT_URL;
if (!endpointUrl) throw new Error('AIRTABLE_ENDPOINT_URL must point at the server under test');
const apiKey = process.env.AIRTABLE_API_KEY || 'patConformanceToken';
const BASE_ID = 'appConform0000001';
const ARTISTS = ":/?#[]@!$&'()*+,;= Best Artists\\ %2F -._~";

const base = new Airtable({ apiKey, endpointUrl }).base(BASE_ID);
const artists = base(ARTISTS);

// The emulator's control endpoints; AIRTABLE_ADMIN_URL when the server under
// test (airpg serve) is not the emulator itself.
const adminUrl = process.env.AIRTABLE_ADMIN_URL || endpointUrl;

async function admin(path, body) {
  const response = await fetch(`${adminUrl}/__emulator/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `admin ${path}`);
  return response.json();
}

const names = (records) => records.map((r) => r.get('Name'));

beforeEach(async () => {
  await admin('reset', {});
});

test('select().all() returns every record in table order', async () => {
  const records = await artists.select().all();
  assert.deepEqual(names(records), ['Alma', 'Bruno', 'Cleo', 'Dara', 'Emil']);
  const alma = records[0];
  assert.equal(alma.id, 'recAlma0000000001');
  assert.equal(alma._rawJson.createdTime, '2022-09-12T21:03:48.000Z');
  assert.equal(alma.get('On Display?'), true);
  assert.deepEqual(alma.get('Works'), ['recWorkA00000001']);
  assert.equal(records[1].get('On Display?'), undefined); // empty cells are omitted
});

test('eachPage follows offsets page by page', async () => {
  const pages = [];
  await artists.select({ pageSize: 2 }).eachPage((records, next) => {
    pages.push(names(records));
    next();
  });
  assert.deepEqual(pages, [['Alma', 'Bruno'], ['Cleo', 'Dara'], ['Emil']]);
});

test('fields, sort, maxRecords and view', async () => {
  const subset = await artists.select({ fields: ['Name', 'Price'], maxRecords: 2 }).all();
  assert.deepEqual(subset.map((r) => r.fields), [
    { Name: 'Alma', Price: 1200.5 },
    { Name: 'Bruno', Price: 80 },
  ]);
  const sorted = await artists
    .select({ sort: [{ field: 'Genre', direction: 'asc' }, { field: 'Name', direction: 'desc' }] })
    .all();
  assert.deepEqual(names(sorted), ['Emil', 'Cleo', 'Dara', 'Alma', 'Bruno']);
  const view = await artists.select({ view: 'On display' }).all();
  assert.deepEqual(names(view), ['Emil', 'Cleo', 'Alma']);
});

test('filterByFormula, over GET and forced POST', async () => {
  // An empty number is 0 in a comparison (docs/formula.md), so Cleo, who has no price, matches.
  const cheap = await artists.select({ filterByFormula: '{Price} < 100' }).all();
  assert.deepEqual(names(cheap), ['Bruno', 'Cleo', 'Dara']);
  const posted = await artists
    .select({ filterByFormula: "AND({On Display?}, {Name} != 'Cleo')", method: 'post' })
    .all();
  assert.deepEqual(names(posted), ['Alma', 'Emil']);
  // A formula longer than the client's URL limit makes it switch to POST listRecords.
  const long = `OR(${Array.from({ length: 1100 }, () => "{Name} = 'Dara'").join(', ')})`;
  assert.ok(long.length > 16000);
  assert.deepEqual(names(await artists.select({ filterByFormula: long }).all()), ['Dara']);
});

test('cellFormat string and returnFieldsByFieldId', async () => {
  const [alma] = await artists
    .select({ cellFormat: 'string', timeZone: 'utc', userLocale: 'en-us', maxRecords: 1 })
    .all();
  assert.equal(alma.get('On Display?'), 'checked');
  assert.equal(alma.get('Works'), 'River at dusk');
  const [byId] = await artists.select({ returnFieldsByFieldId: true, maxRecords: 1 }).all();
  assert.equal(byId.get('fldName0000000001'), 'Alma');
});

test('find returns one record; a missing one is NOT_AUTHORIZED (403)', async () => {
  const cleo = await artists.find('recCleo0000000001');
  assert.equal(cleo.get('Name'), 'Cleo');
  await assert.rejects(artists.find('recMissing0000001'), (error) => {
    assert.equal(error.statusCode, 403);
    assert.equal(error.error, 'NOT_AUTHORIZED');
    return true;
  });
});

test('create, update, replace and destroy in batches', async () => {
  const created = await artists.create([
    { fields: { Name: 'Fay', Price: 10 } },
    { fields: { Name: 'Gus', Genre: 'Painting' } },
  ]);
  assert.deepEqual(names(created), ['Fay', 'Gus']);
  const single = await artists.create({ Name: 'Hal' });
  assert.equal(single.get('Name'), 'Hal');

  const updated = await artists.update([{ id: created[0].id, fields: { Price: 11 } }]);
  assert.equal(updated[0].get('Price'), 11);
  assert.equal(updated[0].get('Name'), 'Fay');

  const replaced = await artists.replace(created[1].id, { Name: 'Gus II' });
  assert.equal(replaced.get('Genre'), undefined);

  const destroyed = await artists.destroy([created[0].id, created[1].id, single.id]);
  assert.equal(destroyed.length, 3);
  assert.equal((await artists.select().all()).length, 5);
});

test('more than 10 records in one request is INVALID_RECORDS', async () => {
  const eleven = Array.from({ length: 11 }, (_, i) => ({ fields: { Name: `n${i}` } }));
  await assert.rejects(artists.create(eleven), (error) => {
    assert.equal(error.statusCode, 422);
    assert.equal(error.error, 'INVALID_RECORDS');
    return true;
  });
});

test('upsert with performUpsert creates and updates', async () => {
  const records = await artists.update(
    [{ fields: { Name: 'Alma', Price: 1 } }, { fields: { Name: 'Zoe', Price: 2 } }],
    { performUpsert: { fieldsToMergeOn: ['Name'] } },
  );
  assert.equal(records[0].id, 'recAlma0000000001');
  assert.equal(records[0].get('Price'), 1);
  assert.equal(records[1].get('Name'), 'Zoe');
  assert.equal((await artists.select().all()).length, 6);
});

test('typecast creates select options; without it the value is refused', async () => {
  await assert.rejects(artists.create({ Name: 'X', Genre: 'Video' }), (error) => {
    assert.equal(error.error, 'INVALID_MULTIPLE_CHOICE_OPTIONS');
    return true;
  });
  const typed = await artists.create({ Name: 'X', Genre: 'Video', Price: '42' }, { typecast: true });
  assert.equal(typed.get('Genre'), 'Video');
  assert.equal(typed.get('Price'), 42);
});

test('error types reach the client', async () => {
  await assert.rejects(artists.create({ Nope: 1 }), (error) => {
    assert.equal(error.statusCode, 422);
    assert.equal(error.error, 'UNKNOWN_FIELD_NAME');
    assert.equal(error.message, 'Unknown field name: "Nope"');
    return true;
  });
  await assert.rejects(artists.select({ filterByFormula: '{Nope} = 1' }).all(), (error) => {
    assert.equal(error.error, 'INVALID_FILTER_BY_FORMULA');
    return true;
  });
  const anonymous = new Airtable({ apiKey: ' ', endpointUrl }).base(BASE_ID);
  await assert.rejects(anonymous(ARTISTS).select().all(), (error) => {
    assert.equal(error.statusCode, 401);
    assert.equal(error.error, 'AUTHENTICATION_REQUIRED');
    return true;
  });
  await assert.rejects(base('No such table').select().all(), (error) => {
    assert.equal(error.statusCode, 403);
    return true;
  });
});

test('a 429 is retried by the client until it succeeds', async () => {
  await admin('faults', { failNext: { status: 429, count: 1 } });
  const records = await artists.select({ maxRecords: 1 }).all();
  assert.deepEqual(names(records), ['Alma']);
  const stats = await admin('stats');
  assert.equal(stats.faultsInjected, 1);
});

test('with noRetryIfRateLimited a 429 is TOO_MANY_REQUESTS', async () => {
  await admin('faults', { failNext: { status: 429, count: 1 } });
  const impatient = new Airtable({ apiKey, endpointUrl, noRetryIfRateLimited: true }).base(BASE_ID);
  await assert.rejects(impatient(ARTISTS).select().all(), (error) => {
    assert.equal(error.statusCode, 429);
    assert.equal(error.error, 'TOO_MANY_REQUESTS');
    return true;
  });
});
