/** Sentiment scoring with the AFINN-based `sentiment` package, mapped to a 0..1 score and a label. */
import Sentiment from 'sentiment';
import { round2 } from './ids.js';

const analyzer = new Sentiment();
/** Hedged phrasing ("could be better") should not read as praise. */
const EXTRAS = { better: 0.5 };

export type SentimentLabel = 'positive' | 'neutral' | 'negative';

export function scoreText(text: string): { sentiment: SentimentLabel; score: number } {
  const { comparative } = analyzer.analyze(text, { extras: EXTRAS });
  const score = round2(0.5 + 0.5 * Math.tanh(comparative));
  const sentiment: SentimentLabel = score >= 0.6 ? 'positive' : score <= 0.4 ? 'negative' : 'neutral';
  return { sentiment, score };
}
