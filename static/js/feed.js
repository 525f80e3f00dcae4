// The live number feed: the tutorial's rolling list of the last ten numbers, and a small SVG chart.
import { element } from "./dom.js";

export const LIST_LENGTH = 10;
const CHART_LENGTH = 40;
const CHART_WIDTH = 400;
const CHART_HEIGHT = 100;
// The server sends round(random() * 10, 3), so every number is in [0, 10].
const MAX_NUMBER = 10;

/** Keep `#numbers` (a list) and the chart's polyline in step with the `newnumber` events. */
export function createFeedView(list, polyline) {
  const history = [];

  /** Redraw the line from the history, newest number at the right edge. */
  function drawChart() {
    const step = CHART_WIDTH / (CHART_LENGTH - 1);
    const offset = CHART_LENGTH - history.length;
    const points = history.map((number, index) => {
      const x = (offset + index) * step;
      const y = CHART_HEIGHT - (number / MAX_NUMBER) * CHART_HEIGHT;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    polyline.setAttribute("points", points.join(" "));
  }

  /** Show one new number in the list (keeping the last ten) and on the chart. */
  function add(number) {
    history.push(number);
    if (history.length > CHART_LENGTH) {
      history.shift();
    }
    list.append(element("li", "number", number.toFixed(3)));
    while (list.childElementCount > LIST_LENGTH) {
      list.firstElementChild.remove();
    }
    drawChart();
  }

  return { add };
}
