import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { SkewedScheduler } from '../../src/election/clock-skew.ts'
import { InvalidElectionOptionsError } from '../../src/election/errors.ts'
import { resolveElectionOptions } from '../../src/election/options.ts'
import {
  type HandoverBlock,
  handoverBlock,
  handoverDelayMs,
  majorityOf,
  mayLead,
  type QuorumPolicy,
} from '../../src/election/quorum.ts'
import { compareByAge, compareByRank, leaderOf } from '../../src/election/rules.ts'
import { INITIAL_TERM_STATE, nextTerm } from '../../src/election/term.ts'
import type { Instance } from '../../src/membership/types.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { instance } from './instances.ts'

describe('leaderOf / compareByRank', () => {
  it('names the oldest instance while nothing is claimed, ties by key, none for an empty set', () => {
    const old = instance({ owner: 'b', createdAt: 10 })
    const tieLow = instance({ owner: 'a', createdAt: 20 })
    const tieHigh = instance({ owner: 'c', createdAt: 20 })
    assert.equal(leaderOf([]), undefined)
    assert.equal(leaderOf([tieHigh, old, tieLow]), old)
    assert.equal(leaderOf([tieHigh, tieLow]), tieLow)
    assert.ok(compareByAge(old, tieLow) < 0)
    assert.equal(compareByAge(tieLow, tieLow), 0)
  })

  it('keeps a claimed instance ahead of any older unclaimed one', () => {
    const claimed = instance({ owner: 'b', createdAt: 500, leaderTerm: 1 })
    const older = instance({ owner: 'a', createdAt: 1 })
    assert.equal(leaderOf([older, claimed]), claimed)
    assert.ok(compareByRank(claimed, older) < 0)
  })

  it('ranks claims by term whatever their age, equal terms by age then key', () => {
    const low = instance({ owner: 'a', createdAt: 1, leaderTerm: 3 })
    const high = instance({ owner: 'c', createdAt: 900, leaderTerm: 4 })
    const tie = instance({ owner: 'b', createdAt: 900, leaderTerm: 4 })
    const older = instance({ owner: 'd', createdAt: 5, leaderTerm: 4 })
    assert.equal(leaderOf([low, high]), high, 'a higher term beats an older claim')
    assert.equal(leaderOf([high, tie, low]), tie, 'equal terms and ages: the lower key')
    assert.equal(leaderOf([high, tie, older]), older, 'equal terms: the older')
  })

  it('does not depend on the order of the set', () => {
    const arb = fc.array(
      fc.record({
        owner: fc.constantFrom('a', 'b', 'c', 'd'),
        createdAt: fc.integer({ min: 0, max: 5 }),
        leaderTerm: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength: 8 },
    )
    fc.assert(
      fc.property(arb, (fields) => {
        const set = fields.map((f, i) => instance({ ...f, id: `i${i}` }))
        const leader = leaderOf(set)
        assert.equal(leaderOf([...set].reverse()), leader)
        for (const other of set) assert.ok(compareByRank(leader as Instance, other) <= 0)
      }),
      { numRuns: 200 },
    )
  })
})

describe('nextTerm', () => {
  const a = instance({ owner: 'a', createdAt: 100 })
  const b = instance({ owner: 'b', createdAt: 200 })

  it('names the holder of the highest claim with it, anyone else one above', () => {
    const first = nextTerm(INITIAL_TERM_STATE, a, 0)
    assert.equal(first.term, 1, 'unclaimed: tentative 0 + 1, what its owner will claim')
    assert.equal(nextTerm(first, { ...a, leaderTerm: 1 }, 1).term, 1, 'the claim confirms it')
    const claimed = nextTerm(first, { ...a, leaderTerm: 1 }, 1)
    assert.equal(nextTerm(claimed, b, 1).term, 2, 'a successor: one above the highest claim')
    assert.equal(nextTerm(INITIAL_TERM_STATE, { ...b, leaderTerm: 7 }, 7).term, 7)
  })

  it('gives a lower claim that outlived a higher one the next term, and never goes down', () => {
    const seen = nextTerm(INITIAL_TERM_STATE, { ...b, leaderTerm: 5 }, 5)
    const stale = nextTerm(seen, { ...a, leaderTerm: 3 }, 3)
    assert.equal(stale.term, 6)
    assert.equal(nextTerm(stale, { ...a, leaderTerm: 3 }, 3).term, 6)
    assert.equal(nextTerm(stale, undefined, 0), stale)
  })

  it('never decreases and is never below the leader’s claim, for any sequence', () => {
    const arb = fc.array(
      fc.record({
        owner: fc.constantFrom('a', 'b', 'c'),
        createdAt: fc.integer({ min: -5, max: 5 }),
        leaderTerm: fc.integer({ min: 0, max: 12 }),
        named: fc.boolean(),
      }),
      { maxLength: 30 },
    )
    fc.assert(
      fc.property(arb, (leaders) => {
        let state = INITIAL_TERM_STATE
        for (const l of leaders) {
          const leader = l.named ? instance(l) : undefined
          const next = nextTerm(state, leader, l.leaderTerm)
          assert.ok(next.term >= state.term)
          assert.ok(next.highest >= state.highest)
          if (leader !== undefined) assert.ok(next.term >= l.leaderTerm, 'never below the claim')
          state = next
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('quorum rules', () => {
  const policy: QuorumPolicy = { expectedNodes: 5, maxClockDriftRatio: 0.01 }
  const older = instance({ owner: 'a', createdAt: 1 })
  const candidate = instance({ owner: 'b', createdAt: 2 })
  const younger = instance({ owner: 'c', createdAt: 3 })
  const g = handoverDelayMs(1500, policy)

  it('needs more than half of the expected nodes', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(majorityOf), [1, 2, 2, 3, 3, 4])
  })

  it('makes the handover delay outlast the TTL on the fastest clock seen from the slowest', () => {
    assert.equal(g, Math.ceil((1500 * 1.01) / 0.99))
    assert.ok(g / 1.01 >= 1500 / 0.99)
    assert.equal(handoverDelayMs(1500, { ...policy, maxClockDriftRatio: 0 }), 1500)
  })

  it('withholds without a majority and until the majority has lasted the handover delay', () => {
    assert.equal(mayLead(candidate, 10_000, undefined, [], policy), false)
    assert.equal(mayLead(candidate, 10_000, 10_000 - g + 1, [], policy), false)
    assert.equal(mayLead(candidate, 10_000, 10_000 - g, [], policy), true)
  })

  it('blocks others for G + T after an expiry, 2G after a displacement, none after a delete', () => {
    const now = 10_000
    const expired = handoverBlock({ how: 'expired', previous: older }, now, policy)
    assert.deepEqual(expired, { holder: older.key, until: now + g + older.ttlMs })
    assert.deepEqual(handoverBlock({ how: 'displaced', previous: older }, now, policy), {
      holder: older.key,
      until: now + handoverDelayMs(3000, policy),
    })
    assert.equal(handoverBlock({ how: 'deleted', previous: older }, now, policy), undefined)
    const blocks = [expired as HandoverBlock]
    const end = now + g + older.ttlMs
    assert.equal(mayLead(candidate, end - 1, 0, blocks, policy), false)
    assert.equal(mayLead(candidate, end, 0, blocks, policy), true)
    assert.equal(mayLead(older, now, 0, blocks, policy), true, 'the holder itself may return')
    assert.equal(mayLead(younger, end - 1, 0, blocks, policy), false)
  })

  it('blocks everyone, the newcomer included, for G after an instance appears', () => {
    const block = handoverBlock({ how: 'appeared', candidate }, 0, policy) as HandoverBlock
    assert.deepEqual(block, { holder: undefined, until: g })
    assert.equal(mayLead(candidate, g - 1, -g, [block], policy), false)
    assert.equal(mayLead(candidate, g, -g, [block], policy), true)
  })
})

describe('options', () => {
  it('defaults the drift bound and rejects options that cannot hold', () => {
    assert.deepEqual(resolveElectionOptions({ quorum: { expectedNodes: 3 } }).quorum, {
      expectedNodes: 3,
      maxClockDriftRatio: 0.01,
    })
    assert.equal(resolveElectionOptions().quorum, undefined)
    for (const bad of [
      { quorum: { expectedNodes: 0 } },
      { quorum: { expectedNodes: 2.5 } },
      { quorum: { expectedNodes: 3, maxClockDriftRatio: 0.5 } },
      { quorum: { expectedNodes: 3, maxClockDriftRatio: -0.1 } },
      { checkIntervalMs: 0 },
      { claimDelayMs: -1 },
    ]) {
      assert.throws(() => resolveElectionOptions(bad), InvalidElectionOptionsError)
    }
  })
})

describe('SkewedScheduler', () => {
  it('maps shared time through offset and drift, timers included', () => {
    const shared = new VirtualScheduler(1000)
    const clock = new SkewedScheduler(shared, { offsetMs: -50, driftRatio: 0.25 })
    assert.equal(clock.now(), 950)
    let firedAt: number | undefined
    clock.setTimer(100, () => {
      firedAt = shared.now()
    })
    shared.advance(79)
    assert.equal(firedAt, undefined)
    shared.advance(1)
    assert.equal(firedAt, 1080)
    assert.equal(clock.now(), 1050)
  })
})
