import { describe, expect, it } from "vitest";
import { invoiceEvents, type RetailRow } from "../../../src/core/retail/events";
import { ItemKnn, popularFor, popularItems, repeatBuy, rfm, rfmLogistic } from "../../../src/train/eval/baselines";
import { listQuality, propensityQuality } from "../../../src/train/eval/report";
import { boughtBefore, boughtWithin, orderedWithin, RetailTruth } from "../../../src/train/eval/retail-truth";

const DAY = 86_400_000;
const T = Date.UTC(2011, 8, 1);

let invoiceNo = 0;
function invoice(customer: string, daysBeforeT: number, items: string[], price = 2): RetailRow[] {
  const invoice = String(500000 + ++invoiceNo);
  return items.map((stockCode) => ({
    invoice,
    stockCode,
    description: stockCode,
    quantity: 1,
    time: T - daysBeforeT * DAY,
    unitPrice: price,
    customerId: customer,
    country: "United Kingdom",
  }));
}

function truthOf(...invoices: RetailRow[][]): RetailTruth {
  const truth = new RetailTruth();
  for (const lines of invoices) truth.add(invoiceEvents(lines));
  return truth.finish();
}

describe("evaluation ground truth and baselines", () => {
  const truth = truthOf(
    invoice("1", 40, ["A", "B"]),
    invoice("1", 10, ["A", "C"], 5),
    invoice("1", -5, ["D", "A"]),
    invoice("2", 20, ["B", "C"]),
    invoice("3", 5, ["C"]),
    invoice("3", -40, ["A"]),
  );
  const c = (id: string) => truth.customers.get(id)!;

  it("splits each customer's history at the cutoff", () => {
    expect(truth.known(T).sort()).toEqual(["1", "2", "3"]);
    expect(truth.known(T - 30 * DAY)).toEqual(["1"]);
    expect(orderedWithin(c("1"), T, 30 * DAY)).toBe(1);
    expect(orderedWithin(c("3"), T, 30 * DAY)).toBe(0); // its next order is 40 days on
    expect([...boughtWithin(c("1"), T, 30 * DAY)].sort()).toEqual(["A", "D"]);
    expect(Object.fromEntries(boughtBefore(c("1"), T))).toEqual({
      A: { count: 2, last: T - 10 * DAY },
      B: { count: 1, last: T - 40 * DAY },
      C: { count: 1, last: T - 10 * DAY },
    });
    expect(rfm(c("1"), T)).toEqual({ recency: 10, frequency: 2, monetary: 14 });
    expect(rfm(c("1"), T - 50 * DAY).recency).toBe(3650);
  });

  it("popular, repeat-buy and item-kNN lists", () => {
    const popular = popularItems(truth.customers.values(), T, 30);
    expect(popular).toEqual(["C", "A", "B"]); // C by 3 buyers in the last 30 days, then A, B by one each (name order)
    expect(repeatBuy(c("1"), T, popular, 3)).toEqual(["A", "C", "B"]);
    expect(popularFor(c("2"), T, popular, 2, true)).toEqual(["A"]);
    const knn = new ItemKnn(truth.customers.values(), T);
    // Customer 3 bought C; C was bought with A (by 1) and B (by 1, 2): B is closer.
    expect(knn.recommend(c("3"), T, popular, 2, true)).toEqual(["B", "A"]);
  });

  it("the RFM logistic regression ranks frequent buyers higher", () => {
    const many = Array.from({ length: 60 }, (_, i) => invoice(`f${i % 20}`, 5 + 5 * Math.floor(i / 20) + (i % 3), ["X"]));
    const few = Array.from({ length: 20 }, (_, i) => invoice(`r${i}`, 100 + i, ["Y"]));
    const t2 = truthOf(...many, ...few, ...Array.from({ length: 20 }, (_, i) => invoice(`f${i}`, -3, ["X"])));
    const p = rfmLogistic(t2.customers, T, 30 * DAY, 3);
    expect(p.get("f1")!).toBeGreaterThan(p.get("r1")!);
  });

  it("quality: AUC and calibration for probabilities, HR/NDCG/coverage for lists", () => {
    const q = propensityQuality([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], true);
    expect(q.auc).toBe(0.75);
    expect(q.log_loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.2) + Math.log(0.2) + Math.log(0.9)) / 4, 9);
    expect(propensityQuality([3, 1], [1, 0], false).log_loss).toBeNull();
    const lists = listQuality(
      [
        { recommended: ["A", "B"], relevant: new Set(["B"]) },
        { recommended: ["C"], relevant: new Set(["D"]) },
      ],
      4,
      10,
    );
    expect(lists.hit_rate).toBe(0.5);
    expect(lists.ndcg).toBeCloseTo(1 / Math.log2(3) / 2, 9);
    expect(lists.coverage).toBe(0.75);
  });
});
