/**
 * The long tail of surnames. The ~300 commonest names cover only about a third of people in England
 * and Wales (ONS surname counts: tens of thousands of names share the rest), so without a tail Smith
 * would be three times commoner than it is. The tail is built from English place-name elements, the
 * way most English "locative" surnames formed (Ashworth, Bradley, Whitfield, Stanton…): every
 * first element with every ending, ~1,500 plausible names, each rarer than any name in the top table.
 */
const FIRST_ELEMENTS = `Ash Ack Al Ald Ap Bar Birch Black Brad Bram Brook Brough Cal Car Chad Clay Crom Cross Dal Dar Dun
  East Elm Fair Farn Fern Ford Gold Gran Green Hal Har Hart Hay Heath Hol Holt Hum Kings Kirk Lang Lin Lock
  Mar Mid Mill Moor Nether New North Oak Pen Rad Red Ring Rod Roth Rush Sal Shel South Stan Stock Sut Thorn
  Tod Up Wake Wal War West Whit Wil Win Wood`;
const ENDINGS = 'ley ton worth field ford wood by ham well cliffe shaw bury more dale hurst den combe wick stone land';

export const SURNAME_TAIL: readonly string[] = FIRST_ELEMENTS.trim().split(/\s+/).flatMap((first) =>
  ENDINGS.split(' ').map((ending) => {
    // "Ash" + "ham" reads Asham, not Ashham: drop a doubled letter at the join.
    const joined = first.endsWith(ending[0]!) ? first + ending.slice(1) : first + ending;
    return joined;
  }));

/** The tail's share of all people, against the top table's (ONS: the top few hundred cover about a third). */
export const TAIL_SHARE = 0.62;
