/**
 * A push on PostgreSQL in one round trip: the stored function `tessera_push` (migration
 * 0007_push_function) locks the account, checks epochs, versions and the live-item limit, writes
 * the items and the feed event, all in the call's own transaction.
 *
 * Why: a push in a client-side transaction was six statements (begin, lock, read, write, event,
 * commit), each a network round trip whose send system call was a third of the server's CPU under
 * load (bench/FINDINGS.md). The rules are the ones of the SQLite path in routes/items.ts; the items
 * tests run both.
 *
 * Why a function and not one SQL statement: under READ COMMITTED, a statement that waits for the
 * account lock still reads the items from the snapshot it took before waiting, so a push that
 * committed meanwhile would be missed (a lost update). In PL/pgSQL each statement after the lock
 * takes a fresh snapshot, so the version check sees every push that committed before the lock.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { PushItem } from '@tessera/protocol';
import type { MainDatabase } from './db/tables.js';
import type { PushOutcome } from './push-outcome.js';

/** The push's event insert (`{ head }`, as appendEvent writes it). */
const OLD_EVENT = `  -- The same event text as appendEvent writes; the events trigger notifies at commit.
  insert into events (account_id, type, data, created_at)
    values (p_account, 'items', '{"head":' || (v_head + v_n) || '}', p_now);
`;

/** The function, created by migration 0007 (a later change needs a new migration). */
export const PUSH_FUNCTION_SQL = `
create function tessera_push(
  p_account text, p_ids text[], p_bases bigint[], p_epochs integer[], p_ciphertexts text[],
  p_deleted integer[], p_now bigint, p_max_live integer
) returns jsonb language plpgsql as $$
declare
  v_head bigint;
  v_circle integer;
  v_n integer := coalesce(array_length(p_ids, 1), 0);
  v_bad record;
  v_conflicts jsonb;
  v_delta integer;
  v_live bigint;
begin
  -- The account row lock serialises every change of the account (as lockAccount does).
  select item_head, circle_epoch into v_head, v_circle from accounts where id = p_account for update;
  if not found then
    return '{"kind":"no-account"}';
  end if;
  select i.id, i.epoch into v_bad from unnest(p_ids, p_epochs) with ordinality as i(id, epoch, ord)
    where i.epoch > coalesce(v_circle, 0) order by i.ord limit 1;
  if found then
    return jsonb_build_object('kind', 'too-new', 'id', v_bad.id, 'epoch', v_bad.epoch, 'circle', v_circle);
  end if;
  select i.id, i.epoch into v_bad from unnest(p_ids, p_epochs) with ordinality as i(id, epoch, ord)
    where i.epoch < coalesce(v_circle, 0) order by i.ord limit 1;
  if found then
    return jsonb_build_object('kind', 'stale', 'id', v_bad.id, 'epoch', v_bad.epoch, 'circle', v_circle);
  end if;
  -- A fresh snapshot, taken after the lock: every push that committed before it is seen here.
  select jsonb_agg(jsonb_build_object('id', i.id, 'version', coalesce(t.version, 0)) order by i.ord)
    into v_conflicts
    from unnest(p_ids, p_bases) with ordinality as i(id, base, ord)
    left join items t on t.account_id = p_account and t.id = i.id
    where coalesce(t.version, 0) <> i.base;
  if v_conflicts is not null then
    return jsonb_build_object('kind', 'conflict', 'conflicts', v_conflicts);
  end if;
  select coalesce(sum((case when i.deleted = 0 then 1 else 0 end) - (case when t.deleted = 0 then 1 else 0 end)), 0)
    into v_delta
    from unnest(p_ids, p_deleted) as i(id, deleted)
    left join items t on t.account_id = p_account and t.id = i.id;
  if v_delta > 0 then
    select count(*) into v_live from items where account_id = p_account and deleted = 0;
    if v_live + v_delta > p_max_live then
      return '{"kind":"too-many"}';
    end if;
  end if;
  update accounts set item_head = item_head + v_n where id = p_account;
  insert into items (account_id, id, version, epoch, ciphertext, deleted, updated_at)
    select p_account, i.id, v_head + i.ord, i.epoch, i.ciphertext, i.deleted, p_now
    from unnest(p_ids, p_epochs, p_ciphertexts, p_deleted) with ordinality as i(id, epoch, ciphertext, deleted, ord)
    on conflict (account_id, id) do update set
      version = excluded.version, epoch = excluded.epoch, ciphertext = excluded.ciphertext,
      deleted = excluded.deleted, updated_at = excluded.updated_at;
${OLD_EVENT}  return jsonb_build_object('kind', 'ok', 'head', v_head + v_n);
end $$`;

/** Pushes of at most this many items hand their rows to the event's notification (migration 0009). */
export const ANNOUNCED_PUSH_MAX_ITEMS = 8;

/**
 * The function as migration 0009 replaces it: the same rules, and a small push's rows (compact:
 * `[id, version, epoch, ciphertext, deleted]`) set for the events trigger, which puts them in the
 * event's notification when they fit (item-tail.ts); cleared right after, so no other event of the
 * transaction carries them.
 */
export const PUSH_FUNCTION_ANNOUNCING_SQL = (() => {
  const announcing = `  if v_n <= ${ANNOUNCED_PUSH_MAX_ITEMS} then
    perform set_config('tessera.items', (select json_agg(json_build_array(i.id, v_head + i.ord, i.epoch,
        i.ciphertext, i.deleted) order by i.ord)::text
      from unnest(p_ids, p_epochs, p_ciphertexts, p_deleted) with ordinality as i(id, epoch, ciphertext, deleted, ord)),
      true);
  end if;
${OLD_EVENT}  perform set_config('tessera.items', '', true);
`;
  return PUSH_FUNCTION_SQL.replace('create function', 'create or replace function').replace(
    OLD_EVENT,
    announcing,
  );
})();

/** Runs one push (already shape-checked) as one call; its versions are head - n + 1 … head. */
export async function pushOnPostgres(options: {
  db: Kysely<MainDatabase>;
  accountId: string;
  items: PushItem[];
  now: number;
  maxLive: number;
}): Promise<PushOutcome> {
  const { items } = options;
  const { rows } = await options.db.executeQuery<{ outcome: PushOutcome }>(
    CompiledQuery.raw(PUSH_CALL_SQL, [
      options.accountId,
      items.map((i) => i.id),
      items.map((i) => i.baseVersion),
      items.map((i) => i.epoch),
      items.map((i) => i.ciphertext),
      items.map((i) => (i.deleted ? 1 : 0)),
      options.now,
      options.maxLive,
    ]),
  );
  return rows[0]!.outcome;
}

/**
 * The call as fixed text: building it with Kysely's `sql` tag compiled it on every push (a few
 * percent of a push's CPU under load, bench/FINDINGS.md); only the parameters change.
 */
const PUSH_CALL_SQL =
  'select tessera_push($1, $2::text[], $3::bigint[], $4::integer[], $5::text[], $6::integer[], $7::bigint, $8::integer) as outcome';
