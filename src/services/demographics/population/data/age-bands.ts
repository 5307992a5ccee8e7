/**
 * Share of the population of England and Wales in each five-year age band, in percent, rounded from
 * the ONS mid-year population estimates (mid-2021/2022). [from age, to age, percent].
 */
export const AGE_BANDS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 4, 5.6], [5, 9, 6.0], [10, 14, 6.0], [15, 19, 5.7], [20, 24, 6.0], [25, 29, 6.6], [30, 34, 6.8],
  [35, 39, 6.7], [40, 44, 6.2], [45, 49, 6.4], [50, 54, 6.9], [55, 59, 6.8], [60, 64, 5.9], [65, 69, 5.1],
  [70, 74, 4.9], [75, 79, 3.6], [80, 84, 2.5], [85, 89, 1.5], [90, 94, 0.7], [95, 99, 0.2],
];
