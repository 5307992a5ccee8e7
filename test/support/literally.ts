/**
 * Text to match as itself inside a RegExp. A short-form id may end in '+', its MOD 37-2 check
 * character: unescaped, `A49A26-A83008-D2F48+` would mean "one or more 8s".
 */
export const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
