package io.raftlock.lock;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Indexed binary min-heap of deadlines (lock leases or wait timeouts). Each element stores its own
 * slot ({@link Node#heapSlot}) so that removal and re-keying are O(log n) without a per-element
 * map entry: this keeps the per-lock memory at one array slot.
 *
 * <p>Invariants: {@code heap[i].heapSlot == i} for {@code 0 <= i < size}; an element not in the
 * heap has slot -1; the comparator is a <em>total</em> order, so the order in which elements are
 * popped depends only on their keys and never on the heap's internal layout (which differs
 * between a replica that replayed the log and one that restored a snapshot).
 */
final class DeadlineHeap<T extends DeadlineHeap.Node> {

  /** An element that knows its slot in the heap. */
  abstract static class Node {
    int heapSlot = -1;

    boolean inHeap() {
      return heapSlot >= 0;
    }
  }

  private final Comparator<? super T> order;
  private Node[] heap = new Node[16];
  private int size;

  DeadlineHeap(Comparator<? super T> order) {
    this.order = order;
  }

  int size() {
    return size;
  }

  /** The smallest element, or {@code null} when empty. */
  @SuppressWarnings("unchecked")
  T peek() {
    return size == 0 ? null : (T) heap[0];
  }

  @SuppressWarnings("unchecked")
  T get(int slot) {
    return (T) heap[slot];
  }

  void add(T node) {
    if (node.inHeap()) {
      throw new IllegalStateException("already in heap");
    }
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    heap[size] = node;
    node.heapSlot = size;
    size++;
    siftUp(node.heapSlot);
  }

  /** Appends without ordering; call {@link #heapify()} after a bulk load (restore). */
  void addUnordered(T node) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, Math.max(16, size * 2));
    }
    heap[size] = node;
    node.heapSlot = size++;
  }

  void heapify() {
    for (int i = size / 2 - 1; i >= 0; i--) {
      siftDown(i);
    }
  }

  void remove(T node) {
    int slot = node.heapSlot;
    if (slot < 0) {
      return;
    }
    size--;
    Node last = heap[size];
    heap[size] = null;
    node.heapSlot = -1;
    if (slot != size) {
      heap[slot] = last;
      last.heapSlot = slot;
      siftDown(slot);
      siftUp(last.heapSlot);
    }
  }

  /** Restores the heap order after the key of {@code node} changed. */
  void update(T node) {
    siftDown(node.heapSlot);
    siftUp(node.heapSlot);
  }

  @SuppressWarnings("unchecked")
  private int compare(int a, int b) {
    return order.compare((T) heap[a], (T) heap[b]);
  }

  private void siftUp(int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (compare(i, parent) >= 0) {
        return;
      }
      swap(i, parent);
      i = parent;
    }
  }

  private void siftDown(int i) {
    while (true) {
      int left = 2 * i + 1;
      if (left >= size) {
        return;
      }
      int child = left + 1 < size && compare(left + 1, left) < 0 ? left + 1 : left;
      if (compare(child, i) >= 0) {
        return;
      }
      swap(i, child);
      i = child;
    }
  }

  private void swap(int a, int b) {
    Node t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    heap[a].heapSlot = a;
    heap[b].heapSlot = b;
  }
}
