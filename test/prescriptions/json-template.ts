/**
 * A JSON document serialised once, with named string slots filled in by concatenation: the load
 * client sends each prescription's bodies (20 to 40 KB of spec example) without cloning and
 * serialising the whole example every time. `build` makes the document with each slot's marker
 * where the slot's value goes, so the text is the one `JSON.stringify` writes for the document
 * built with the values themselves.
 *
 * A value goes into the text as it is, unescaped, so only values JSON writes as they are may fill a
 * slot: printable ASCII without `"` or `\` (ids, NHS numbers, ODS codes, instants, base64). Anything
 * else throws rather than write a different document.
 */
const MARKER = /@@slot:([A-Za-z]+)@@/;
const AS_IS = /^[ !#-[\]-~]*$/;

export class JsonTemplate<Slot extends string> {
  private constructor(
    /** The text between slots: one more than `slotAt`. */
    private readonly parts: readonly string[],
    /** Which slot goes after each part but the last. */
    private readonly slotAt: readonly Slot[],
    private readonly slots: readonly Slot[],
  ) {}

  static of<Slot extends string>(slots: readonly Slot[], build: (markers: Record<Slot, string>) => unknown): JsonTemplate<Slot> {
    const markers = Object.fromEntries(slots.map((s) => [s, `@@slot:${s}@@`])) as Record<Slot, string>;
    // split with a capturing group: text, slot name, text, slot name, …, text.
    const pieces = JSON.stringify(build(markers)).split(MARKER);
    const parts = pieces.filter((_, i) => i % 2 === 0);
    const slotAt = pieces.filter((_, i) => i % 2 === 1) as Slot[];
    for (const s of slotAt) if (!slots.includes(s)) throw new Error(`JSON template: a marker of no slot (${s}) in the document`);
    for (const s of slots) if (!slotAt.includes(s)) throw new Error(`JSON template: slot ${s} is nowhere in the document`);
    return new JsonTemplate(parts, slotAt, slots);
  }

  /** The document's JSON text with these values in its slots. */
  fill(values: Record<Slot, string>): string {
    for (const s of this.slots) {
      const value: unknown = values[s];
      if (typeof value !== 'string' || !AS_IS.test(value)) throw new Error(`JSON template: ${s} must be printable ASCII without " or \\, not ${JSON.stringify(value)}`);
    }
    let text = this.parts[0]!;
    for (let i = 0; i < this.slotAt.length; i++) text += values[this.slotAt[i]!] + this.parts[i + 1]!;
    return text;
  }
}
