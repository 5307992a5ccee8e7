/**
 * Forenames by the decade band a person was born in, because a name's popularity follows its era
 * (a patient called Olivia is rarely 80). Lists are the ranked top names of England and Wales from
 * the Office for National Statistics baby-names releases (annual tables since 1996; the historical
 * "top 100 names by decade" tables for 1904–1994), most popular first. No counts are given, so each
 * name is weighted by its rank (see `parseWeightedTable`), which approximates the published counts'
 * long-tailed shape.
 */
export interface ForenameBand {
  /** Last birth year of the band (inclusive); the bands are in order. */
  bornUpTo: number;
  male: string;
  female: string;
}

export const FORENAME_BANDS: readonly ForenameBand[] = [
  {
    bornUpTo: 1944,
    male: `William, John, George, Thomas, James, Arthur, Frederick, Albert, Charles, Robert, Joseph, Alfred,
      Ernest, Henry, Harold, Edward, Walter, Frank, Leonard, Stanley, Kenneth, Peter, Ronald, Dennis,
      Reginald, Sidney, Herbert, Eric, Cyril, Raymond, Donald, Jack, Norman, Alan, Roy, Derek`,
    female: `Mary, Margaret, Doris, Dorothy, Florence, Elizabeth, Joan, Edith, Annie, Elsie, Winifred, Irene,
      Kathleen, Ivy, Lilian, Alice, Gladys, Joyce, Hilda, Ethel, Phyllis, Vera, Violet, Jean, Eileen,
      Betty, Marjorie, Sheila, Patricia, Barbara, Audrey, Edna, Nora, Evelyn`,
  },
  {
    bornUpTo: 1964,
    male: `David, John, Michael, Peter, Robert, Paul, Stephen, Alan, Christopher, Richard, Anthony, Andrew,
      Brian, Ian, Kevin, Gary, Mark, Keith, Graham, Colin, Martin, Trevor, Philip, Kenneth, Barry,
      Terence, Roger, Malcolm, Geoffrey, Nigel, Raymond, William`,
    female: `Susan, Margaret, Patricia, Christine, Linda, Elizabeth, Mary, Jacqueline, Janet, Carol, Sandra,
      Gillian, Julie, Karen, Ann, Pauline, Jean, Valerie, Deborah, Lynn, Brenda, Maureen, Diane, Wendy,
      Barbara, Sheila, Kathleen, Elaine, Hazel, Jennifer, Anne, Angela`,
  },
  {
    bornUpTo: 1984,
    male: `David, Paul, Andrew, Mark, John, Michael, Stephen, Ian, Robert, Richard, Christopher, Peter,
      Simon, Anthony, Kevin, Gary, Steven, Martin, James, Philip, Darren, Lee, Neil, Jason, Matthew,
      Daniel, Carl, Craig, Wayne, Stuart, Mohammed, Sanjay`,
    female: `Sarah, Claire, Nicola, Emma, Lisa, Joanne, Michelle, Helen, Samantha, Karen, Amanda, Rachel,
      Louise, Julie, Clare, Rebecca, Sharon, Victoria, Caroline, Susan, Alison, Catherine, Elizabeth,
      Deborah, Donna, Tracey, Angela, Kelly, Jennifer, Kerry, Nasreen, Priya`,
  },
  {
    bornUpTo: 2004,
    male: `Thomas, James, Jack, Daniel, Matthew, Ryan, Joshua, Luke, Samuel, Christopher, Jordan, Adam,
      Michael, Liam, Callum, Benjamin, Oliver, Lewis, Nathan, Alexander, Jamie, Connor, William, Harry,
      Joseph, Jake, George, Kieran, Andrew, Robert, Mohammed, Aaron`,
    female: `Jessica, Emily, Sophie, Lauren, Hannah, Rebecca, Chloe, Charlotte, Amy, Sarah, Emma, Laura,
      Megan, Katie, Bethany, Ellie, Lucy, Olivia, Georgia, Holly, Amber, Jade, Danielle, Rachel,
      Samantha, Stacey, Gemma, Natalie, Abigail, Grace, Aisha, Zara`,
  },
  {
    bornUpTo: 9999,
    male: `Oliver, Jack, Harry, George, Noah, Charlie, Jacob, Alfie, Freddie, Oscar, Leo, Thomas,
      Muhammad, Arthur, William, James, Henry, Archie, Joshua, Theo, Ethan, Isaac, Logan, Max, Lucas,
      Mason, Alexander, Daniel, Samuel, Joseph, Adam, Yusuf`,
    female: `Olivia, Amelia, Isla, Ava, Emily, Sophia, Grace, Mia, Poppy, Ella, Lily, Evie, Isabella,
      Sophie, Jessica, Freya, Florence, Isabelle, Chloe, Charlotte, Ruby, Daisy, Alice, Phoebe, Sienna,
      Evelyn, Millie, Harper, Matilda, Rosie, Maryam, Zainab`,
  },
];
