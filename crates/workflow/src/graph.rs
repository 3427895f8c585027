//! The dependency graph over step indices: `edges[i]` = the steps `i` depends on.

/// Kahn's algorithm, stable by index: of the steps whose dependencies are placed, the lowest
/// index goes next. Steps on a cycle (never ready) follow in index order.
pub(crate) fn topological_order(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    loop {
        let next = (0..n).find(|&i| !placed[i] && edges[i].iter().all(|&d| placed[d]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            None => break,
        }
    }
    order.extend((0..n).filter(|&i| !placed[i]));
    order
}

/// Every elementary cycle met by a depth-first walk (steps in index order, dependencies in
/// listed order), each in `dependsOn` order and rotated to start at its lowest index; no
/// duplicates. A self-dependency is a cycle of one.
pub(crate) fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    let n = edges.len();
    let mut color = vec![Color::White; n];
    let mut found: Vec<Vec<usize>> = Vec::new();
    for root in 0..n {
        if color[root] != Color::White {
            continue;
        }
        // Iterative DFS: (node, next edge to look at).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = Color::Gray;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = edges[node].get(*next) {
                *next += 1;
                match color[dep] {
                    Color::White => {
                        color[dep] = Color::Gray;
                        stack.push((dep, 0));
                    }
                    Color::Gray => {
                        let from = stack.iter().position(|&(s, _)| s == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|&(s, _)| s).collect();
                        let lowest = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|&(_, &s)| s)
                            .map_or(0, |(at, _)| at);
                        cycle.rotate_left(lowest);
                        if !found.contains(&cycle) {
                            found.push(cycle);
                        }
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_stably() {
        // 0 <- 2, 1 <- 2: 0, 1 ready at once; 3 has no deps but comes after 2 in the file.
        let edges = vec![vec![], vec![], vec![0, 1], vec![]];
        assert_eq!(topological_order(&edges), vec![0, 1, 2, 3]);
        // 0 depends on 1: 1 first.
        assert_eq!(topological_order(&[vec![1], vec![]]), vec![1, 0]);
        // A cycle: the rest first, then the cycle in index order.
        assert_eq!(
            topological_order(&[vec![1], vec![0], vec![]]),
            vec![2, 0, 1]
        );
    }

    #[test]
    fn finds_cycles() {
        assert_eq!(cycles(&[vec![1], vec![2], vec![0]]), vec![vec![0, 1, 2]]);
        assert_eq!(cycles(&[vec![2], vec![0], vec![1]]), vec![vec![0, 2, 1]]);
        assert_eq!(cycles(&[vec![0]]), vec![vec![0]]);
        assert_eq!(
            cycles(&[vec![], vec![0], vec![1]]),
            Vec::<Vec<usize>>::new()
        );
        // Two separate cycles.
        assert_eq!(
            cycles(&[vec![1], vec![0], vec![3], vec![2]]),
            vec![vec![0, 1], vec![2, 3]]
        );
        // Entered mid-cycle: still rotated to its lowest index.
        assert_eq!(
            cycles(&[vec![2], vec![], vec![3], vec![2]]),
            vec![vec![2, 3]]
        );
    }
}
